import type { RevocationMessage } from '@/lambdas/revocation/messages';
import {
  cutoffFor,
  deniesEverySession,
  parseRevocationPolicy,
  pruneExpired,
  REVOCATION_POLICY_BUDGET,
  ROLE_INLINE_POLICY_LIMIT,
  renderRevocationPolicy,
  withoutUser,
  withRevocation,
} from '@/lambdas/revocation/revocation-policy';
import type { AccountRoles, RevocationTarget } from '@/lambdas/revocation/revocation-target';
import { BUILTIN_ROLE_NAMES, PERMISSION_SET_ROLE_PATH } from '@/lambdas/shared/constants';

/**
 * What happened to one role's revocation policy. `denied-every-session`: written, and it now
 * denies every session of the role issued before the latest cut-off (too many users revoked
 * to name in the role's room; renderRevocationPolicy).
 */
export type RoleOutcome = 'written' | 'denied-every-session' | 'deleted' | 'unchanged' | 'no-role';

/** Some roles of the account could not be updated; the others were. Redelivery finishes the job. */
export class RevocationIncompleteError extends Error {
  readonly code = 'RevocationIncompleteError';

  constructor(
    readonly failedRoles: readonly string[],
    options: { cause: unknown },
  ) {
    super(`could not update the revocation policy of ${failedRoles.join(', ')}`, options);
    this.name = 'RevocationIncompleteError';
  }
}

/** How a failure names the permission-set roles when they could not even be listed. */
const UNLISTED_ROLES = `the roles under ${PERMISSION_SET_ROLE_PATH} (listing them failed)`;

/**
 * Applies one message to every staxid role of its account: revoke adds (or replaces) the
 * user's Deny statement, restore removes it, and both prune statements that no longer deny
 * any live session. The built-in roles are written first, and only then are the
 * permission-set roles listed, so that a role the deployment engine creates meanwhile is
 * not missed (the window shrinks to roles created after the list). A built-in role's policy may take IAM's whole inline-policy limit; a
 * permission-set role's takes at most REVOCATION_POLICY_BUDGET, the room its permission
 * set leaves. A role whose policy would not change is not written, so a replayed message
 * changes nothing. Every role is tried even when one fails; then the first failure is
 * thrown (as RevocationIncompleteError, naming the roles) so that SQS redelivers the message.
 */
export async function applyRevocation(
  target: RevocationTarget,
  message: RevocationMessage,
  now: Date,
): Promise<Record<string, RoleOutcome>> {
  const roles = await target.account(message.awsAccountId);
  const outcomes: Record<string, RoleOutcome> = {};
  const failed: string[] = [];
  let firstError: unknown;
  const updateEach = async (roleNames: readonly string[], budget: number) => {
    for (const roleName of roleNames) {
      try {
        outcomes[roleName] = await updateRole(roles, roleName, message, now, budget);
      } catch (error) {
        failed.push(roleName);
        firstError ??= error;
      }
    }
  };
  await updateEach(Object.values(BUILTIN_ROLE_NAMES), ROLE_INLINE_POLICY_LIMIT);
  try {
    await updateEach(await roles.listPermissionSetRoles(), REVOCATION_POLICY_BUDGET);
  } catch (error) {
    failed.push(UNLISTED_ROLES);
    firstError ??= error;
  }
  if (failed.length > 0) throw new RevocationIncompleteError(failed, { cause: firstError });
  return outcomes;
}

async function updateRole(
  roles: AccountRoles,
  roleName: string,
  message: RevocationMessage,
  now: Date,
  budget: number,
): Promise<RoleOutcome> {
  const current = await roles.readPolicy(roleName);
  const revocations = parseRevocationPolicy(current);
  const changed =
    message.action === 'revoke'
      ? withRevocation(revocations, { userId: message.userId, issuedBefore: cutoffFor(new Date(message.at)) })
      : withoutUser(revocations, message.userId);
  const next = renderRevocationPolicy(pruneExpired(changed, now), budget);
  if (next === current) return 'unchanged';
  if (next === undefined) {
    await roles.deletePolicy(roleName);
    return 'deleted';
  }
  if (!(await roles.writePolicy(roleName, next))) return 'no-role';
  return deniesEverySession(next) && !deniesEverySession(current) ? 'denied-every-session' : 'written';
}
