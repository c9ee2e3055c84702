import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import type { ItemKey } from '@/lambdas/shared/keys';
import {
  type FederatedIdentity,
  type FederationRoles,
  federatedRole,
  providerPolicy,
} from '@/lambdas/triggers/federation';
import {
  auditSignIn,
  messageFor,
  SIGN_IN_MESSAGES,
  type SignInAttempt,
  type SignInDecision,
  type SignInDeps,
  SignInRefusedError,
} from '@/lambdas/triggers/sign-in';
import {
  AUTH_ORIGIN,
  emailGuardKey,
  parseUserItem,
  type UserRecord,
  userItem,
  userKey,
} from '@/lambdas/users/user-model';

/**
 * The sign-in of a federated (SAML or OIDC) user, in the post-authentication trigger
 * (ADR 0016). staxid finds its user through a guard item keyed by the Cognito username
 * (`<ProviderName>_<subject>`), which holds the staxid user id:
 *
 * - no guard, the IdP says the email is not verified (OIDC `email_verified` false): refused;
 * - no guard, no user with the email: a new ACTIVE user (AuthOrigin `sso`, role from the
 *   IdP), its federated guard and email guard, in one transaction;
 * - no guard, a SCIM-provisioned user with the email and no sign-in yet: linked to it when
 *   the provider may link SCIM users (`linkScimUsers`), refused otherwise;
 * - no guard, any other user with the email: refused (no takeover of a local account);
 * - guard of a DELETED user: a first sign-in again (a new user takes the guard over);
 * - guard: DISABLED or missing user refused; an `sso` user's email, names and
 *   role refreshed from the IdP when they changed (email guard moved in the same
 *   transaction, Version checked; an email the IdP says is unverified is not taken); a
 *   SCIM user's fields stay SCIM's.
 *
 * Every attempt is audited before anything is written; a write that loses a race is decided
 * again once from a fresh read.
 */

export interface FederatedSignInDeps extends SignInDeps {
  readonly roles: FederationRoles;
}

/** `UNIQUE#FEDERATED#<lower-case Cognito username>` → `UserId`: Cognito usernames are case-insensitive here. */
export function federatedGuardKey(cognitoUsername: string): ItemKey {
  return { PK: `UNIQUE#FEDERATED#${cognitoUsername.toLowerCase()}`, SK: 'UNIQUE' };
}

/** What the IdP says the user's fields are now. */
interface IdpProfile {
  readonly email: string | undefined;
  readonly firstName: string;
  readonly lastName: string;
  readonly role: UserRecord['Role'];
}

/** A decision and the write that carries it out, if any. */
type Plan =
  | { readonly kind: 'decided'; readonly decision: SignInDecision; readonly attempt: SignInAttempt }
  | {
      readonly kind: 'write';
      readonly decision: SignInDecision;
      readonly attempt: SignInAttempt;
      readonly write: TransactWriteCommand;
    };

async function getItem(db: Db, key: ItemKey): Promise<Record<string, unknown> | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return item;
}

async function guardedUser(
  db: Db,
  key: ItemKey,
): Promise<{ userId: string; user: UserRecord | undefined } | undefined> {
  const guard = await getItem(db, key);
  if (!guard || typeof guard.UserId !== 'string') return undefined;
  return { userId: guard.UserId, user: parseUserItem(await getItem(db, userKey(guard.UserId))) };
}

function attemptOf(
  identity: FederatedIdentity,
  userId: string,
  email?: string,
  role?: string,
): SignInAttempt {
  return {
    userId,
    loginType: 'Federated',
    provider: identity.providerName,
    ...(email && { email }),
    ...(role && { role }),
  };
}

function refusal(reason: Extract<SignInDecision, { allow: false }>['reason'], attempt: SignInAttempt): Plan {
  return { kind: 'decided', decision: { allow: false, reason }, attempt };
}

function statusRefusal(user: UserRecord, attempt: SignInAttempt): Plan | undefined {
  if (user.Status === 'ACTIVE') return undefined;
  if (user.Status === 'DISABLED') return refusal('disabled', attempt);
  if (user.Status === 'DELETED') return refusal('deleted', attempt);
  return refusal('not_active', attempt);
}

/**
 * The federated guard of a first sign-in: new, or taking over the guard of a DELETED user
 * (an identity whose staxid user was deleted starts again as a new user, as JIT does; the
 * IdP, not staxid, decides who may still sign in, and DISABLED keeps someone out).
 */
function federatedGuardPut(
  deps: FederatedSignInDeps,
  identity: FederatedIdentity,
  userId: string,
  deletedUserId: string | undefined,
) {
  return {
    Put: {
      TableName: deps.db.tableName,
      Item: { ...federatedGuardKey(identity.username), UserId: userId },
      ConditionExpression:
        deletedUserId === undefined
          ? 'attribute_not_exists(PK)'
          : 'attribute_not_exists(PK) OR UserId = :deleted',
      ...(deletedUserId !== undefined && { ExpressionAttributeValues: { ':deleted': deletedUserId } }),
    },
  };
}

/** The first sign-in: a new user, a link to a SCIM user, or a refusal. */
async function planFirstSignIn(
  deps: FederatedSignInDeps,
  identity: FederatedIdentity,
  profile: IdpProfile,
  deletedUserId?: string,
) {
  const anonymous = attemptOf(identity, identity.username, profile.email, profile.role);
  if (profile.email === undefined) return refusal('missing_email', anonymous);
  if (identity.emailVerified === false) return refusal('email_unverified', anonymous);
  const owner = await guardedUser(deps.db, emailGuardKey(profile.email));
  if (owner) return planLink(deps, identity, owner.user, anonymous, deletedUserId);
  const now = deps.clock.now().toISOString();
  const user: UserRecord = {
    Id: newId(),
    Email: profile.email,
    FirstName: profile.firstName,
    LastName: profile.lastName,
    Role: profile.role,
    Status: 'ACTIVE',
    AuthOrigin: AUTH_ORIGIN.sso,
    CognitoUsername: identity.username,
    CreatedBy: identity.providerName,
    CreatedTS: now,
    ModifiedTS: now,
    Version: 1,
  };
  const put = (Item: Record<string, unknown>) => ({
    Put: { TableName: deps.db.tableName, Item, ConditionExpression: 'attribute_not_exists(PK)' },
  });
  return {
    kind: 'write',
    decision: { allow: true, reason: 'provisioned' },
    attempt: attemptOf(identity, user.Id, user.Email, user.Role),
    write: new TransactWriteCommand({
      TransactItems: [
        put({ ...userItem(user), ActivatedTS: now }),
        federatedGuardPut(deps, identity, user.Id, deletedUserId),
        put({ ...emailGuardKey(user.Email), UserId: user.Id }),
      ],
    }),
  } satisfies Plan;
}

/**
 * A SCIM user never signed in before takes this federated identity if its provider may link
 * SCIM users (an email alone proves nothing when a less trusted IdP can assert any address);
 * anyone else keeps their address.
 */
function planLink(
  deps: FederatedSignInDeps,
  identity: FederatedIdentity,
  user: UserRecord | undefined,
  anonymous: SignInAttempt,
  deletedUserId: string | undefined,
): Plan {
  if (!user || user.AuthOrigin !== AUTH_ORIGIN.scim || user.CognitoUsername !== undefined) {
    return refusal('email_conflict', anonymous);
  }
  if (!providerPolicy(deps.roles, identity.providerName).linkScimUsers) {
    return refusal('link_not_allowed', anonymous);
  }
  const attempt = attemptOf(identity, user.Id, user.Email, user.Role);
  const refused = statusRefusal(user, attempt);
  if (refused) return refused;
  return {
    kind: 'write',
    decision: { allow: true, reason: 'linked' },
    attempt,
    write: new TransactWriteCommand({
      TransactItems: [
        federatedGuardPut(deps, identity, user.Id, deletedUserId),
        {
          Update: {
            TableName: deps.db.tableName,
            Key: userKey(user.Id),
            UpdateExpression: 'SET CognitoUsername = :username, ModifiedTS = :now, #version = :next',
            ConditionExpression:
              '#version = :read AND #status = :active AND attribute_not_exists(CognitoUsername)',
            ExpressionAttributeNames: { '#version': 'Version', '#status': 'Status' },
            ExpressionAttributeValues: {
              ':username': identity.username,
              ':now': deps.clock.now().toISOString(),
              ':next': user.Version + 1,
              ':read': user.Version,
              ':active': 'ACTIVE',
            },
          },
        },
      ],
    }),
  };
}

/** A later sign-in: the user's state decides; an `sso` user's fields follow the IdP. */
async function planRepeatSignIn(
  deps: FederatedSignInDeps,
  identity: FederatedIdentity,
  user: UserRecord,
  profile: IdpProfile,
): Promise<Plan> {
  const isSso = user.AuthOrigin === AUTH_ORIGIN.sso;
  // An address the IdP itself calls unverified is not taken over the one staxid has.
  const idpEmail = identity.emailVerified === false ? undefined : profile.email;
  const next = isSso
    ? {
        Email: idpEmail ?? user.Email,
        FirstName: profile.firstName,
        LastName: profile.lastName,
        Role: profile.role,
      }
    : { Email: user.Email, FirstName: user.FirstName, LastName: user.LastName, Role: user.Role };
  const attempt = attemptOf(identity, user.Id, next.Email, next.Role);
  const refused = statusRefusal(user, attempt);
  if (refused) return refused;
  const changed =
    next.Email !== user.Email ||
    next.FirstName !== user.FirstName ||
    next.LastName !== user.LastName ||
    next.Role !== user.Role;
  if (!changed) return { kind: 'decided', decision: { allow: true, reason: 'active' }, attempt };
  if (next.Email.toLowerCase() !== user.Email.toLowerCase()) {
    const owner = await guardedUser(deps.db, emailGuardKey(next.Email));
    if (owner && owner.userId !== user.Id) return refusal('email_conflict', attempt);
  }
  return {
    kind: 'write',
    decision: { allow: true, reason: 'refreshed' },
    attempt,
    write: refreshWrite(deps, user, next),
  };
}

function refreshWrite(
  deps: FederatedSignInDeps,
  user: UserRecord,
  next: Pick<UserRecord, 'Email' | 'FirstName' | 'LastName' | 'Role'>,
): TransactWriteCommand {
  const table = deps.db.tableName;
  const emailMoves = next.Email.toLowerCase() !== user.Email.toLowerCase();
  const update = {
    Update: {
      TableName: table,
      Key: userKey(user.Id),
      UpdateExpression:
        'SET Email = :email, GSI1SK = :emailKey, FirstName = :first, LastName = :last, #role = :role, ModifiedTS = :now, #version = :next',
      ConditionExpression: '#version = :read AND #status = :active',
      ExpressionAttributeNames: { '#version': 'Version', '#status': 'Status', '#role': 'Role' },
      ExpressionAttributeValues: {
        ':email': next.Email,
        ':emailKey': next.Email.toLowerCase(),
        ':first': next.FirstName,
        ':last': next.LastName,
        ':role': next.Role,
        ':now': deps.clock.now().toISOString(),
        ':next': user.Version + 1,
        ':read': user.Version,
        ':active': 'ACTIVE',
      },
    },
  };
  const guards = emailMoves
    ? [
        {
          Put: {
            TableName: table,
            Item: { ...emailGuardKey(next.Email), UserId: user.Id },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Delete: {
            TableName: table,
            Key: emailGuardKey(user.Email),
            ConditionExpression: 'UserId = :id',
            ExpressionAttributeValues: { ':id': user.Id },
          },
        },
      ]
    : [];
  return new TransactWriteCommand({ TransactItems: [update, ...guards] });
}

async function plan(deps: FederatedSignInDeps, identity: FederatedIdentity): Promise<Plan> {
  const profile: IdpProfile = {
    email: identity.email,
    firstName: identity.firstName,
    lastName: identity.lastName,
    role: federatedRole(identity, deps.roles),
  };
  const known = await guardedUser(deps.db, federatedGuardKey(identity.username));
  if (!known) return planFirstSignIn(deps, identity, profile);
  if (!known.user) return refusal('unknown_user', attemptOf(identity, known.userId));
  if (known.user.Status === 'DELETED') return planFirstSignIn(deps, identity, profile, known.userId);
  return planRepeatSignIn(deps, identity, known.user, profile);
}

function isCancelled(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionCanceledException';
}

/**
 * Decides, audits and carries out the sign-in of a federated user. Returns the decision
 * and the staxid user id; throws SignInRefusedError when the sign-in must not go ahead.
 */
export async function federatedSignIn(
  deps: FederatedSignInDeps,
  identity: FederatedIdentity,
): Promise<{ readonly decision: SignInDecision; readonly userId: string }> {
  for (let attempt = 1; ; attempt++) {
    const next = await plan(deps, identity);
    await auditSignIn(deps, next.attempt, next.decision);
    if (!next.decision.allow) {
      throw new SignInRefusedError(messageFor(next.decision.reason), next.decision.reason);
    }
    const result = { decision: next.decision, userId: next.attempt.userId };
    if (next.kind !== 'write') return result;
    try {
      await deps.db.doc.send(next.write);
      return result;
    } catch (error) {
      if (!isCancelled(error)) throw error;
      if (attempt >= 2) {
        console.error(
          JSON.stringify({ message: 'federated sign-in lost a race twice', username: identity.username }),
        );
        throw new SignInRefusedError(SIGN_IN_MESSAGES.unavailable, 'conflict');
      }
    }
  }
}
