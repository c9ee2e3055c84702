import type { RevocationMessage } from '@/lambdas/revocation/messages';
import {
  cutoffFor,
  parseRevocationPolicy,
  pruneExpired,
  renderRevocationPolicy,
  withoutUser,
  withRevocation,
} from '@/lambdas/revocation/revocation-policy';
import type { AccountRoles, RevocationTarget } from '@/lambdas/revocation/revocation-target';

/** What happened to one role's revocation policy. */
export type RoleOutcome = 'written' | 'deleted' | 'unchanged' | 'no-role';

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

/**
 * Applies one message to every staxid role of its account: revoke adds (or replaces) the
 * user's Deny statement, restore removes it, and both prune statements that no longer deny
 * any live session. A role whose policy would not change is not written, so a replayed
 * message changes nothing. Every role is tried even when one fails; then the first failure
 * is thrown (as RevocationIncompleteError) so that SQS redelivers the message.
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
  for (const roleName of await roles.listStaxidRoles()) {
    try {
      outcomes[roleName] = await updateRole(roles, roleName, message, now);
    } catch (error) {
      failed.push(roleName);
      firstError ??= error;
    }
  }
  if (failed.length > 0) throw new RevocationIncompleteError(failed, { cause: firstError });
  return outcomes;
}

async function updateRole(
  roles: AccountRoles,
  roleName: string,
  message: RevocationMessage,
  now: Date,
): Promise<RoleOutcome> {
  const current = await roles.readPolicy(roleName);
  const revocations = parseRevocationPolicy(current);
  const changed =
    message.action === 'revoke'
      ? withRevocation(revocations, { userId: message.userId, issuedBefore: cutoffFor(new Date(message.at)) })
      : withoutUser(revocations, message.userId);
  const next = renderRevocationPolicy(pruneExpired(changed, now));
  if (next === current) return 'unchanged';
  if (next === undefined) {
    await roles.deletePolicy(roleName);
    return 'deleted';
  }
  return (await roles.writePolicy(roleName, next)) ? 'written' : 'no-role';
}
