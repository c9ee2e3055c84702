import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditSink, auditEvent } from '@/lambdas/shared/audit';
import type { Clock, Db } from '@/lambdas/shared/db';
import { INVITATION_VALIDITY_MS, parseUserItem, type UserRecord, userKey } from '@/lambdas/users/user-model';

/**
 * What happens when a person has proved their password to Cognito (post-authentication
 * trigger, ARCHITECTURE.md §2 flow 1): staxid decides whether they may sign in, from
 * their user item, not from Cognito's own state.
 *
 * - no item, DELETED, DISABLED (or any other status): refused;
 * - INVITED, invitation not yet expired: made ACTIVE (conditional on Status and Version);
 * - INVITED, invitation expired: refused (an admin sends a new one);
 * - ACTIVE: allowed, nothing written.
 *
 * Every attempt is one audit event, written before any status change: if it cannot be
 * written, the sign-in is refused. Refusals are errors whose message Cognito shows.
 *
 * Federated users are decided in federated-sign-in.ts, audited the same way.
 */

export interface SignInDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

/** What Cognito shows the person; it says nothing about why beyond what they can act on. */
export const SIGN_IN_MESSAGES = {
  notActive: 'Your staxid account is not active. Ask an administrator.',
  inviteExpired: 'Your invitation has expired. Ask an administrator to send a new one.',
  unavailable: 'staxid could not record your sign-in. Try again later.',
  noEmail: 'Your identity provider sent no email address. Ask your administrator to map one.',
  emailTaken: 'Your email address belongs to another staxid user. Ask an administrator.',
  emailUnverified:
    'Your identity provider says your email address is not verified. Verify it there, then sign in again.',
} as const;

/** The audit event type of every sign-in attempt to staxid, as Stax names it. */
export const SIGN_IN_EVENT_TYPE = 'UserAuthenticationEvent';

/** Stax's `loginType`: the service's own directory, or a corporate IdP. */
export type LoginType = 'Stax' | 'Federated';

/** Why a sign-in was allowed or refused (the audit event's `detail.reason`). */
export type SignInReason =
  | 'active'
  | 'activated'
  | 'provisioned'
  | 'refreshed'
  | 'linked'
  | 'unknown_user'
  | 'missing_email'
  | 'email_conflict'
  | 'email_unverified'
  | 'link_not_allowed'
  | 'deleted'
  | 'disabled'
  | 'invite_expired'
  | 'not_active';

type AllowReason = 'active' | 'activated' | 'provisioned' | 'refreshed' | 'linked';

export type SignInDecision =
  | { readonly allow: true; readonly reason: AllowReason }
  | { readonly allow: false; readonly reason: Exclude<SignInReason, AllowReason> };

/** A refused sign-in: Cognito shows `message` to the person. */
export class SignInRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: SignInReason | 'audit_failed' | 'conflict',
  ) {
    super(message);
    this.name = 'SignInRefusedError';
  }
}

/** When the user's current invitation stops working; undefined when none is recorded. */
function inviteExpiry(user: UserRecord): number | undefined {
  if (user.InviteExpiresTS !== undefined) return Date.parse(user.InviteExpiresTS);
  if (user.InvitedTS !== undefined) return Date.parse(user.InvitedTS) + INVITATION_VALIDITY_MS;
  return undefined;
}

/** The decision for a user item (or its absence) at `now`. Pure. */
export function decideSignIn(user: UserRecord | undefined, now: Date): SignInDecision {
  if (!user) return { allow: false, reason: 'unknown_user' };
  switch (user.Status) {
    case 'ACTIVE':
      return { allow: true, reason: 'active' };
    case 'INVITED': {
      const expiry = inviteExpiry(user);
      // No recorded expiry (or an unreadable one): fail closed.
      if (expiry === undefined || Number.isNaN(expiry) || expiry <= now.getTime()) {
        return { allow: false, reason: 'invite_expired' };
      }
      return { allow: true, reason: 'activated' };
    }
    case 'DELETED':
      return { allow: false, reason: 'deleted' };
    case 'DISABLED':
      return { allow: false, reason: 'disabled' };
    default:
      return { allow: false, reason: 'not_active' };
  }
}

/** What Cognito shows for a refusal. */
export function messageFor(reason: SignInDecision['reason']): string {
  switch (reason) {
    case 'invite_expired':
      return SIGN_IN_MESSAGES.inviteExpired;
    case 'missing_email':
      return SIGN_IN_MESSAGES.noEmail;
    case 'email_conflict':
    case 'link_not_allowed':
      return SIGN_IN_MESSAGES.emailTaken;
    case 'email_unverified':
      return SIGN_IN_MESSAGES.emailUnverified;
    default:
      return SIGN_IN_MESSAGES.notActive;
  }
}

interface ReadUser {
  readonly user: UserRecord | undefined;
  /** The stored Version as read (undefined when the item has none). */
  readonly version: number | undefined;
}

async function readUser(db: Db, userId: string): Promise<ReadUser> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: userKey(userId), ConsistentRead: true }),
  );
  const user = parseUserItem(item);
  const version = item && typeof item.Version === 'number' ? item.Version : undefined;
  return { user, version };
}

/** Who attempted a sign-in, as the audit event records them. */
export interface SignInAttempt {
  /** The staxid user id, or the Cognito username when no staxid user is known. */
  readonly userId: string;
  readonly email?: string;
  readonly role?: string;
  readonly loginType: LoginType;
  /** The identity provider of a federated sign-in. */
  readonly provider?: string;
}

/**
 * Records one `UserAuthenticationEvent` for a sign-in attempt and its decision. A sign-in
 * whose event cannot be recorded is refused (SignInRefusedError `audit_failed`).
 */
export async function auditSignIn(deps: SignInDeps, attempt: SignInAttempt, decision: SignInDecision) {
  const status = decision.allow ? 'SUCCESS' : 'FAILED';
  try {
    await deps.audit.write(
      auditEvent({
        type: SIGN_IN_EVENT_TYPE,
        actor: { type: 'user', id: attempt.userId, ...(attempt.role && { role: attempt.role }) },
        targets: [{ type: 'user', id: attempt.userId }],
        outcome: decision.allow ? 'SUCCESS' : 'FAILURE',
        detail: {
          user: attempt.userId,
          ...(attempt.email && { email: attempt.email }),
          ...(attempt.role && { role: attempt.role }),
          status,
          loginType: attempt.loginType,
          ...(attempt.provider && { provider: attempt.provider }),
          reason: decision.reason,
        },
        time: deps.clock.now(),
      }),
    );
  } catch (error) {
    console.error(
      JSON.stringify({ message: 'sign-in audit write failed', userId: attempt.userId, error: String(error) }),
    );
    throw new SignInRefusedError(SIGN_IN_MESSAGES.unavailable, 'audit_failed');
  }
}

/** INVITED → ACTIVE, only if nobody changed the item since it was read. False when someone did. */
async function activate(deps: SignInDeps, userId: string, version: number | undefined): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  try {
    await deps.db.doc.send(
      new UpdateCommand({
        TableName: deps.db.tableName,
        Key: userKey(userId),
        UpdateExpression: 'SET #status = :active, #version = :next, ModifiedTS = :now, ActivatedTS = :now',
        ConditionExpression:
          version === undefined
            ? '#status = :invited AND attribute_not_exists(#version)'
            : '#status = :invited AND #version = :read',
        ExpressionAttributeNames: { '#status': 'Status', '#version': 'Version' },
        ExpressionAttributeValues: {
          ':active': 'ACTIVE',
          ':invited': 'INVITED',
          ':next': (version ?? 0) + 1,
          ':now': now,
          ...(version !== undefined && { ':read': version }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error instanceof Error && error.name === 'ConditionalCheckFailedException')
    )
      return false;
    throw error;
  }
}

/**
 * Decides a sign-in of the user whose Cognito username is `userId` (for local users, the
 * staxid user id), audits it and activates an invited user. Throws SignInRefusedError when
 * the sign-in must not go ahead. A lost race on activation is decided again, once.
 */
export async function signIn(deps: SignInDeps, userId: string): Promise<SignInDecision> {
  for (let attempt = 1; ; attempt++) {
    const { user, version } = await readUser(deps.db, userId);
    const decision = decideSignIn(user, deps.clock.now());
    await auditSignIn(
      deps,
      { userId, ...(user && { email: user.Email, role: user.Role }), loginType: 'Stax' },
      decision,
    );
    if (!decision.allow) throw new SignInRefusedError(messageFor(decision.reason), decision.reason);
    if (decision.reason === 'active') return decision;
    if (await activate(deps, userId, version)) return decision;
    if (attempt >= 2) throw new SignInRefusedError(SIGN_IN_MESSAGES.unavailable, 'conflict');
  }
}
