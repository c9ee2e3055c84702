import { type Entitlement, entitlementRoleArn, entitlementsOf } from '@/lambdas/aws/entitlements';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ForbiddenError } from '@/lambdas/shared/errors';
import type { Caller } from '@/lambdas/shared/permissions';
import { currentUser } from '@/lambdas/users/user-queries';

/**
 * The partition of the member accounts' role ARNs: the one staxid runs in, from `AWS_REGION`
 * (`cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, else `aws`), as the sign-in route derives it.
 */
export function partitionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const region = env.AWS_REGION ?? '';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export interface MyRolesDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly partition: string;
}

/**
 * aws.ReadMyRoles: the roles the calling user may sign in to. An API token is not a user
 * (404, as FetchCurrentUser); a user who is not ACTIVE holds nothing (403).
 */
export async function readMyRoles(deps: MyRolesDeps, caller: Caller) {
  const [user, entitlements] = await Promise.all([
    currentUser(deps.db, caller),
    caller.kind === 'user' ? entitlementsOf(deps.db, caller.id, deps.clock.now()) : [],
  ]);
  if (user.Status !== 'ACTIVE') {
    throw new ForbiddenError(`your user is ${user.Status}: only an ACTIVE user may sign in to AWS accounts`);
  }
  return { Roles: entitlements.map((entitlement) => roleResponse(deps.partition, entitlement)) };
}

/** One `Roles` entry (ARCHITECTURE §4): `AccountId` is the 12-digit AWS account id. */
function roleResponse(partition: string, entitlement: Entitlement) {
  return {
    AccountId: entitlement.awsAccountId,
    AccountName: entitlement.accountName,
    RoleName: entitlement.roleName,
    RoleArn: entitlementRoleArn(partition, entitlement),
    Source: entitlement.source,
    ...(entitlement.supportGrantId && { SupportAccessGrantId: entitlement.supportGrantId }),
    ...(entitlement.caseReference && { CaseReference: entitlement.caseReference }),
  };
}
