import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TokenRejectedError, type VerifiedPrincipal } from '@/lambdas/auth/verify-token';
import type { Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import { isApiRole, isUserRole } from '@/lambdas/shared/roles';

/**
 * Turns a verified token into the caller the API acts for, from the table rather than the
 * token: a person's user item (by user id) or an API token's item (by AccessKey), in one
 * GetItem. Only an ACTIVE item lets the caller in, with the role stored on it, so disabling
 * a user or deleting a token (or changing a role) takes effect on the next authorization,
 * even for JWTs issued before.
 *
 * A user who is INVITED (has not completed the first sign-in) is refused: the users domain
 * makes them ACTIVE when they first sign in.
 */
export async function resolveCaller(db: Db, principal: VerifiedPrincipal): Promise<Caller> {
  const entity = principal.kind === 'user' ? ENTITY.user : ENTITY.apiToken;
  const { Item: item } = await db.doc.send(
    new GetCommand({
      TableName: db.tableName,
      Key: entityKey(entity, principal.id),
      ProjectionExpression: '#status, #role',
      ExpressionAttributeNames: { '#status': 'Status', '#role': 'Role' },
    }),
  );
  if (!item) {
    throw new TokenRejectedError('unknown_caller', `no ${principal.kind} item for the token's subject`);
  }
  const { Status: status, Role: role } = item as { Status?: unknown; Role?: unknown };
  if (status !== 'ACTIVE') {
    throw new TokenRejectedError('inactive_caller', `the ${principal.kind} is ${String(status)}, not ACTIVE`);
  }
  const roleOf = principal.kind === 'user' ? isUserRole : isApiRole;
  if (typeof role !== 'string' || !roleOf(role)) {
    throw new TokenRejectedError('inactive_caller', `the ${principal.kind} has no valid role`);
  }
  return { kind: principal.kind, id: principal.id, role };
}
