import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPERATION_ACCESS } from '@/lambdas/shared/permissions';
import { supportDepsFromEnv } from '@/lambdas/support/deps';
import { SUPPORT_GROUP_NAME_ENV } from '@/lambdas/support/env';
import { SUPPORT_ROUTES } from '@/lambdas/support/routes';
import { REPO_ROOT } from '@/test/support/config';

/** The support routes, before they join lambdas/routes.ts. */
describe.each([['SUPPORT_ROUTES', SUPPORT_ROUTES]])('%s', (_, routes) => {
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

describe('supportDepsFromEnv', () => {
  it('reads the support group name, and leaves it unset when the variable is', () => {
    const env = {
      STAXID_TABLE_NAME: 'table',
      STAXID_ORGANISATION_ID: '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    };
    expect(supportDepsFromEnv({ ...env, [SUPPORT_GROUP_NAME_ENV]: 'Support' }).supportGroupName).toBe(
      'Support',
    );
    expect(supportDepsFromEnv(env).supportGroupName).toBeUndefined();
  });
});
