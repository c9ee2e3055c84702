import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '@/lambdas/shared/db';
import type { ItemKey } from '@/lambdas/shared/keys';
import { federatedGuardKey } from '@/lambdas/triggers/federated-sign-in';
import type { SignInIdentity } from '@/lambdas/triggers/federation';
import { SIGN_IN_MESSAGES, SignInRefusedError } from '@/lambdas/triggers/sign-in';
import { parseUserItem, type UserRecord, userKey } from '@/lambdas/users/user-model';

/**
 * The staxid claims Cognito puts into a person's ID and access tokens (pre-token-generation
 * trigger, ADR 0016): who they are to staxid and their Stax role, read from the user item
 * at every issue and refresh. The API's authorizer looks federated callers up by
 * `staxid:user_id` (their Cognito username is `<Provider>_<subject>`, not a staxid id); a
 * user who is not ACTIVE gets no tokens, so a DISABLED user cannot refresh either.
 */
export const STAXID_CLAIMS = {
  userId: 'staxid:user_id',
  role: 'staxid:role',
} as const;

export type StaxidClaims = Readonly<Record<(typeof STAXID_CLAIMS)[keyof typeof STAXID_CLAIMS], string>>;

async function getItem(db: Db, key: ItemKey): Promise<Record<string, unknown> | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return item;
}

/** The staxid user behind a sign-in identity: by id for local users, through the federated guard otherwise. */
async function userOf(db: Db, identity: SignInIdentity): Promise<UserRecord | undefined> {
  if (identity.kind === 'local') return parseUserItem(await getItem(db, userKey(identity.userId)));
  const guard = await getItem(db, federatedGuardKey(identity.username));
  if (!guard || typeof guard.UserId !== 'string') return undefined;
  return parseUserItem(await getItem(db, userKey(guard.UserId)));
}

/** The claims of an ACTIVE user; SignInRefusedError (no tokens) for anyone else. */
export async function staxidClaims(db: Db, identity: SignInIdentity): Promise<StaxidClaims> {
  const user = await userOf(db, identity);
  if (!user) throw new SignInRefusedError(SIGN_IN_MESSAGES.notActive, 'unknown_user');
  if (user.Status !== 'ACTIVE') throw new SignInRefusedError(SIGN_IN_MESSAGES.notActive, 'not_active');
  return { [STAXID_CLAIMS.userId]: user.Id, [STAXID_CLAIMS.role]: user.Role };
}
