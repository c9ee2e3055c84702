import { type MyRolesDeps, partitionFromEnv, readMyRoles } from '@/lambdas/aws/my-roles';
import { apiHandler } from '@/lambdas/shared/api';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery } from '@/lambdas/shared/input';

/** GET /20190206/users/me/aws-roles (aws.ReadMyRoles) */
export function readMyRolesHandler(deps: () => MyRolesDeps) {
  return apiHandler({ operationId: 'aws.ReadMyRoles' }, async ({ caller, query }) => {
    assertKnownQuery(query, []);
    return { body: await readMyRoles(deps(), caller) };
  });
}

export const handler = readMyRolesHandler(
  once(() => ({ db: dbFromEnv(), clock: systemClock, partition: partitionFromEnv() })),
);
