/**
 * The `staxid-revoked-sessions` inline policy that staxid keeps on every staxid role of a
 * member account (docs/decisions/0013). A revoked user has one Deny statement that refuses
 * everything to sessions carrying their `aws:SourceIdentity` (set at every staxid sign-in)
 * issued before a cut-off. The document is a pure function of the revocations it holds, so
 * applying the same message twice writes the same bytes.
 */

/** The inline policy's name on every staxid role. */
export const REVOCATION_POLICY_NAME = 'staxid-revoked-sessions';

/**
 * IAM's limit on the aggregate of a role's inline policies, in characters without
 * whitespace. staxid writes the policy minified, so its JSON length is what counts. The
 * three built-in roles hold no other inline policy: this policy may take all of it there.
 */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;

/**
 * The room this policy may take on a permission-set role, whose own inline policies share
 * IAM's ROLE_INLINE_POLICY_LIMIT with it: the permission set gets the rest
 * (PERMISSION_SET_INLINE_POLICY_LIMIT), so a PutRolePolicy of revocation never fails with
 * LimitExceeded. 2,048 characters hold about 8 users as per-user statements and 46 (UUID
 * user ids) in the combined statement.
 */
export const REVOCATION_POLICY_BUDGET = 2_048;

/** The most a permission set's inline policies may take together: IAM's limit less REVOCATION_POLICY_BUDGET. */
export const PERMISSION_SET_INLINE_POLICY_LIMIT = ROLE_INLINE_POLICY_LIMIT - REVOCATION_POLICY_BUDGET;

/**
 * The size IAM counts for inline policy documents: their characters without whitespace.
 * The minified JSON (JSON.stringify of the parsed document) approximates it from above:
 * whitespace between tokens is dropped, whitespace inside strings still counts. A document
 * that is not JSON counts its non-whitespace characters.
 */
export function inlinePolicyCharacters(documents: readonly string[]): number {
  return documents.reduce((total, document) => total + minifiedLength(document), 0);
}

/**
 * Why a permission set's inline policies would leave session revocation too little room
 * on its role, or undefined when they fit. The API's validation and the deployment engine
 * both refuse such a permission set, in these words.
 */
export function inlinePolicyRoomProblem(documents: readonly string[]): string | undefined {
  const total = inlinePolicyCharacters(documents);
  if (total <= PERMISSION_SET_INLINE_POLICY_LIMIT) return undefined;
  return `total ${total} characters without whitespace; at most ${PERMISSION_SET_INLINE_POLICY_LIMIT} are allowed, because staxid keeps room for session revocation (${REVOCATION_POLICY_BUDGET} of IAM's ${ROLE_INLINE_POLICY_LIMIT} per role): shorten them or use AWS managed policies instead`;
}

function minifiedLength(document: string): number {
  try {
    return JSON.stringify(JSON.parse(document)).length;
  } catch {
    return document.replace(/\s/g, '').length;
  }
}

/** The longest session a staxid role grants: STS caps SAML sessions at 12 hours. */
const LONGEST_SESSION_MS = 12 * 60 * 60 * 1000;

/** Slack on top of the longest session before a statement is pruned (clock skew between services). */
const PRUNE_MARGIN_MS = 15 * 60 * 1000;

/**
 * How far after the stream's time the cut-off lies. DynamoDB Streams rounds
 * `ApproximateCreationDateTime` down (to the minute), and a SAML assertion issued just
 * before the user was disabled can still be exchanged for 5 minutes (its NotOnOrAfter):
 * sessions issued within this window are revoked too. A later cut-off is always safe, since
 * no new session can be issued to a disabled user.
 */
export const REVOCATION_CUTOFF_DELAY_MS = 7 * 60 * 1000;

/**
 * The `userId` of a revocation of every session of the role issued before its cut-off,
 * whoever signed in: what the policy falls back to when the revoked users are too many to
 * name in its room. A staxid user id is a UUID, never this.
 */
export const EVERY_SESSION = '*';

/** One user's revocation: sessions with this source identity issued before `issuedBefore` are denied. */
export interface Revocation {
  /** The user, or EVERY_SESSION. */
  readonly userId: string;
  /** ISO 8601 UTC, whole seconds. */
  readonly issuedBefore: string;
}

interface DenyStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: '*';
  readonly Resource: '*';
  readonly Condition: {
    readonly StringEquals?: { readonly 'aws:SourceIdentity': string | readonly string[] };
    readonly DateLessThan: { readonly 'aws:TokenIssueTime': string };
  };
}

/** The cut-off of a revocation requested at `at`: later by REVOCATION_CUTOFF_DELAY_MS, whole seconds. */
export function cutoffFor(at: Date): string {
  const ms = Math.ceil((at.getTime() + REVOCATION_CUTOFF_DELAY_MS) / 1000) * 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The revocations a policy document (decoded JSON) holds (statements staxid did not write are ignored: the policy is staxid's alone). */
export function parseRevocationPolicy(document: string | undefined): Revocation[] {
  if (!document) return [];
  const parsed: unknown = JSON.parse(document);
  const statements = isRecord(parsed) && Array.isArray(parsed.Statement) ? parsed.Statement : [];
  const revocations: Revocation[] = [];
  for (const statement of statements) {
    const condition = isRecord(statement) ? statement.Condition : undefined;
    if (!isRecord(condition) || !isRecord(condition.DateLessThan)) continue;
    const issuedBefore = condition.DateLessThan['aws:TokenIssueTime'];
    if (typeof issuedBefore !== 'string') continue;
    if (condition.StringEquals === undefined) {
      revocations.push({ userId: EVERY_SESSION, issuedBefore });
      continue;
    }
    if (!isRecord(condition.StringEquals)) continue;
    const identities = condition.StringEquals['aws:SourceIdentity'];
    for (const userId of Array.isArray(identities) ? identities : [identities]) {
      if (typeof userId === 'string') revocations.push({ userId, issuedBefore });
    }
  }
  return revocations;
}

/** Adds or replaces `user`'s revocation. */
export function withRevocation(revocations: readonly Revocation[], revocation: Revocation): Revocation[] {
  return [...withoutUser(revocations, revocation.userId), revocation];
}

/** Removes `userId`'s revocation. */
export function withoutUser(revocations: readonly Revocation[], userId: string): Revocation[] {
  return revocations.filter((revocation) => revocation.userId !== userId);
}

/**
 * Drops revocations whose cut-off is older than the longest session: every session they
 * could deny has expired, and a disabled user gets no new one.
 */
export function pruneExpired(revocations: readonly Revocation[], now: Date): Revocation[] {
  const horizon = now.getTime() - LONGEST_SESSION_MS - PRUNE_MARGIN_MS;
  return revocations.filter((revocation) => Date.parse(revocation.issuedBefore) > horizon);
}

/**
 * The minified policy document for `revocations`, at most `budget` characters long
 * (ROLE_INLINE_POLICY_LIMIT on a built-in role, REVOCATION_POLICY_BUDGET on a
 * permission-set role), or undefined when there is nothing to deny (the policy is then
 * deleted). Normally one statement per user, in user id order, so that equal sets give
 * equal documents. When those would not fit (past about 41 users revoked within 12 hours
 * on a built-in role, 8 on a permission-set role), one statement denies all of them with
 * the latest cut-off: stricter for the others, and still exact for sessions issued since,
 * because none of them can sign in (256 users fit on a built-in role, 46 on a
 * permission-set role). Past that, the policy fails closed: one statement denies EVERY
 * session of the role issued before the latest cut-off, whoever holds it (everyone signed
 * in to that role signs in again; the revoked users cannot). It always fits, so a
 * revocation is never dropped for lack of room. A user revoked later is named beside it;
 * users whose cut-off it covers are no longer named.
 */
export function renderRevocationPolicy(
  revocations: readonly Revocation[],
  budget: number,
): string | undefined {
  if (revocations.length === 0) return undefined;
  const everyone = latest(revocations.filter((r) => r.userId === EVERY_SESSION));
  const users = revocations
    .filter((r) => r.userId !== EVERY_SESSION && !(everyone && r.issuedBefore <= everyone.issuedBefore))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  const head = everyone ? [everySessionStatement(everyone.issuedBefore)] : [];
  const newest = latest(users);
  if (!newest) return policyDocument(head);
  const perUser = policyDocument([
    ...head,
    ...users.map((r) => denyStatement(userSid(r.userId), r.userId, r.issuedBefore)),
  ]);
  if (perUser.length <= budget) return perUser;
  const combined = policyDocument([
    ...head,
    denyStatement(
      COMBINED_SID,
      users.map((r) => r.userId),
      newest.issuedBefore,
    ),
  ]);
  if (combined.length <= budget) return combined;
  return policyDocument([everySessionStatement(newest.issuedBefore)]);
}

/** Whether a rendered policy denies every session of its role (the fail-closed fallback). */
export function deniesEverySession(document: string | undefined): boolean {
  return parseRevocationPolicy(document).some((r) => r.userId === EVERY_SESSION);
}

/** The revocation with the latest cut-off, or undefined for none. */
function latest(revocations: readonly Revocation[]): Revocation | undefined {
  return revocations.reduce<Revocation | undefined>(
    (found, r) => (!found || r.issuedBefore > found.issuedBefore ? r : found),
    undefined,
  );
}

/** The Sid of the statement that denies every session issued before a cut-off. */
const EVERY_SESSION_SID = 'RevokeEverySession';

function everySessionStatement(issuedBefore: string): DenyStatement {
  return {
    Sid: EVERY_SESSION_SID,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
  };
}

/** The Sid of the one statement that denies every revoked user when per-user statements do not fit. */
const COMBINED_SID = 'RevokeMany';

function policyDocument(statements: readonly DenyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function denyStatement(
  sid: string,
  sourceIdentities: string | readonly string[],
  issuedBefore: string,
): DenyStatement {
  return {
    Sid: sid,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': sourceIdentities },
      DateLessThan: { 'aws:TokenIssueTime': issuedBefore },
    },
  };
}

/** A user's Sid: `Revoke` and the user id's letters and digits (Sids allow nothing else). */
function userSid(userId: string): string {
  return `Revoke${userId.replace(/[^A-Za-z0-9]/g, '')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
