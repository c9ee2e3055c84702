import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATION_ACCESS } from '@/lambdas/shared/permissions';
import { SIGNIN_ROUTES } from '@/lambdas/signin/routes';

describe('SIGNIN_ROUTES', () => {
  it.each(SIGNIN_ROUTES.map((route) => [route.operationId, route] as const))(
    '%s: a handler file that exists, and auth as the role table says',
    async (operationId, route) => {
      expect(existsSync(join(__dirname, '../../..', route.handler))).toBe(true);
      const access = OPERATION_ACCESS[operationId as keyof typeof OPERATION_ACCESS];
      expect(access).toBeDefined();
      expect(route.auth).toBe(access === 'public' ? 'none' : 'bearer');
      const module = (await import(`@/${route.handler.replace(/\.ts$/, '')}`)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    },
  );
});
