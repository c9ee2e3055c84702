import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AWS_ROUTES } from '@/lambdas/aws/routes';
import { OPERATION_ACCESS } from '@/lambdas/shared/permissions';
import { REPO_ROOT } from '@/test/support/config';

/** The aws routes, before they join lambdas/routes.ts. */
describe.each([['AWS_ROUTES', AWS_ROUTES]])('%s', (_, routes) => {
  test.each(routes.map((route) => [route.operationId, route] as const))(
    '%s: a bearer route in the role table, its handler file exporting a handler',
    async (operationId, route) => {
      expect(Object.keys(OPERATION_ACCESS)).toContain(operationId);
      expect(route.auth).toBe('bearer');
      expect(route.path).toMatch(/^\/20190206\/[A-Za-z0-9._\-/{}]*$/);
      expect(existsSync(resolve(REPO_ROOT, route.handler))).toBe(true);
      const module = await import(resolve(REPO_ROOT, route.handler));
      expect(typeof module.handler).toBe('function');
    },
  );
});
