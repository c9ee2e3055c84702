import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SCIM_ROUTES } from '@/lambdas/scim/routes';
import { OPERATION_ACCESS } from '@/lambdas/shared/permissions';

describe('SCIM_ROUTES', () => {
  it('points every route at a handler file that exports `handler`', async () => {
    for (const route of SCIM_ROUTES) {
      expect(existsSync(resolve(__dirname, '../../..', route.handler))).toBe(true);
      const module = (await import(`@/${route.handler.replace(/\.ts$/, '')}`)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    }
  });

  it('leaves /scim/v2 to the handler (it checks the SCIM token) and the token operations to Admins', () => {
    for (const route of SCIM_ROUTES) {
      if (route.path.startsWith('/scim/v2/')) expect(route.auth).toBe('none');
      else {
        expect(route.auth).toBe('bearer');
        expect(OPERATION_ACCESS[route.operationId as keyof typeof OPERATION_ACCESS]).toBe('admin');
      }
    }
    const keys = SCIM_ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
