import { ROUTES } from '@/lambdas/routes';
import coreSpec from '@/spec/stax-core-identity-20190206.openapi.json';

/**
 * The route table against the reference spec: every operation of the spec that staxid
 * serves is routed at the spec's own method and path, and no route claims a spec
 * operation id under another path.
 */

/** Operations of the reference that staxid deliberately does not serve, and why. */
const NOT_SERVED: Readonly<Record<string, string>> = {
  'accounts.UpdateAccount': 'account names, tags and moves come from AWS Organizations and account types',
  'accounts.UpdateAccountTypePolicies': 'Stax SCP management is outside an identity service',
};

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

const specOperations = Object.entries(coreSpec.paths).flatMap(([path, operations]) =>
  METHODS.flatMap((method) => {
    const operation = (operations as Record<string, { operationId?: string } | undefined>)[method];
    return operation?.operationId
      ? [{ operationId: operation.operationId, method: method.toUpperCase(), path }]
      : [];
  }),
);

describe('the route table against the Stax core identity spec', () => {
  test.each(specOperations.filter((operation) => !(operation.operationId in NOT_SERVED)))(
    '$operationId is served at $method $path',
    ({ operationId, method, path }) => {
      expect(
        ROUTES.filter((route) => route.operationId === operationId).map((r) => `${r.method} ${r.path}`),
      ).toEqual([`${method} ${path}`]);
    },
  );

  it('leaves out only the operations it says it leaves out', () => {
    const served = new Set(ROUTES.map((route) => route.operationId));
    expect(
      specOperations
        .filter((operation) => !served.has(operation.operationId))
        .map((o) => o.operationId)
        .sort(),
    ).toEqual(Object.keys(NOT_SERVED).sort());
  });

  it('serves the spec operations behind the authorizer, except the public config', () => {
    const specIds = new Set(specOperations.map((operation) => operation.operationId));
    const publicSpecRoutes = ROUTES.filter(
      (route) => specIds.has(route.operationId) && route.auth === 'none',
    );
    expect(publicSpecRoutes.map((route) => route.operationId)).toEqual(['public.ReadConfig']);
  });
});
