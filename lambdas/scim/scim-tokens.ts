import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ScimTokenDeps } from '@/lambdas/scim/deps';
import { type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import { backoff } from '@/lambdas/shared/change';
import { InvalidStateError, NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import type { Caller } from '@/lambdas/shared/permissions';
import { newSecretKey, secretMatches } from '@/lambdas/shared/secrets';

/**
 * SCIM bearer tokens: what an identity provider's provisioning connector authenticates
 * with. Like IAM Identity Center, at most two are active (one in use, one being rotated in).
 *
 * - The token is `scim_<id>_<secret>`: the server finds its item with one GetItem by `id`
 *   and compares the keyed hash of `secret` (lambdas/shared/secrets.ts) in constant time.
 *   The secret is returned once, by create, and never stored.
 * - Items: `SCIMTOKEN#<id>` / `SCIMTOKEN` (listed on GSI1 `SCIMTOKEN` / `<CreatedTS>#<id>`),
 *   and the counter `SCIMTOKENS` / `COUNTER` whose `ActiveCount` is changed in the same
 *   transaction as every create and delete, under the condition `ActiveCount < 2`: two
 *   racing creates cannot make a third token.
 * - Create and delete write their audit event first ("no audit event, no change").
 * - A token expires `ExpiresInDays` (1–365, default 365) after its creation, as IAM Identity
 *   Center's do: `ExpiresTS` on the item. Expiry is checked only after the secret matched, so
 *   only the holder of a genuine token learns that it expired. An expired token still holds
 *   one of the 2 slots until it is deleted. Items written before expiry existed have no
 *   `ExpiresTS`: they expire MAX_SCIM_TOKEN_DAYS after their `CreatedTS`, like a default token.
 */

/** IAM Identity Center's limit, kept so that rotation works the same way. */
export const MAX_ACTIVE_SCIM_TOKENS = 2;

const SECRET_LENGTH = 40;
const TOKEN_PATTERN =
  /^scim_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9]{40})$/;
const TOKEN_KIND = 'SCIMTOKEN';
const COUNTER_KEY = { PK: 'SCIMTOKENS', SK: 'COUNTER' } as const;
const MAX_DESCRIPTION = 256;
/** IAM Identity Center's SCIM tokens live one year: ours by default too, and never longer. */
export const MAX_SCIM_TOKEN_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A SCIM token as the API shows it: never its secret nor its hash. */
export interface ScimToken {
  readonly Id: string;
  readonly Description?: string;
  readonly CreatedBy: string;
  readonly CreatedTS: string;
  /** When the token stops authenticating. */
  readonly ExpiresTS: string;
}

/** A SCIM token as ReadScimTokens lists it: whether it has expired, by the service's clock. */
export interface ListedScimToken extends ScimToken {
  readonly Expired: boolean;
}

/** The body of CreateScimToken: an optional note on where the token is used, and its lifetime. */
export interface CreateScimTokenBody {
  readonly Description?: string;
  /** @default MAX_SCIM_TOKEN_DAYS */
  readonly ExpiresInDays?: number;
}

/** Checks CreateScimToken's JSON body (none, `{}`, `{Description}`, `{ExpiresInDays}` or both). */
export function parseCreateScimTokenBody(body: unknown): CreateScimTokenBody {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('Body', 'must be a JSON object such as {"Description": "Okta"}');
  }
  const { Description: description, ExpiresInDays: expiresInDays, ...rest } = body as Record<string, unknown>;
  const [unknown] = Object.keys(rest);
  if (unknown !== undefined) {
    throw new ValidationError(
      `Body.${unknown}`,
      'is not a field of CreateScimToken: send only Description and ExpiresInDays',
    );
  }
  return {
    ...(description !== undefined && { Description: parseDescription(description) }),
    ...(expiresInDays !== undefined && { ExpiresInDays: parseExpiresInDays(expiresInDays) }),
  };
}

function parseDescription(description: unknown): string {
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
    throw new ValidationError(
      'Body.Description',
      `must be a string of at most ${MAX_DESCRIPTION} characters`,
    );
  }
  return description;
}

function parseExpiresInDays(days: unknown): number {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_SCIM_TOKEN_DAYS) {
    throw new ValidationError(
      'Body.ExpiresInDays',
      `must be a whole number of days from 1 to ${MAX_SCIM_TOKEN_DAYS} (a JSON number such as 90; leave it out for ${MAX_SCIM_TOKEN_DAYS})`,
    );
  }
  return days;
}

/**
 * When a token item stops authenticating: its `ExpiresTS`, or for an item written before
 * tokens expired, MAX_SCIM_TOKEN_DAYS after its creation (an unreadable date gives an
 * unreadable expiry, which counts as expired).
 */
function expiryOf(item: Record<string, unknown>): string {
  if (typeof item.ExpiresTS === 'string') return item.ExpiresTS;
  const created = Date.parse(String(item.CreatedTS));
  return Number.isNaN(created) ? 'unknown' : new Date(created + MAX_SCIM_TOKEN_DAYS * DAY_MS).toISOString();
}

/** Whether a token with this `ExpiresTS` no longer authenticates at `now` (an unreadable date counts as expired). */
function isExpired(expiresTS: string, now: Date): boolean {
  const expiry = Date.parse(expiresTS);
  return Number.isNaN(expiry) || now.getTime() > expiry;
}

function tokenKey(id: string) {
  return { PK: `${TOKEN_KIND}#${id}`, SK: TOKEN_KIND };
}

function toScimToken(item: Record<string, unknown>): ScimToken {
  return {
    Id: String(item.Id),
    ...(typeof item.Description === 'string' && { Description: item.Description }),
    CreatedBy: String(item.CreatedBy),
    CreatedTS: String(item.CreatedTS),
    ExpiresTS: expiryOf(item),
  };
}

function toListedScimToken(item: Record<string, unknown>, now: Date): ListedScimToken {
  const token = toScimToken(item);
  return { ...token, Expired: isExpired(token.ExpiresTS, now) };
}

function target(id: string): AuditTarget {
  return { type: 'scim-token', id };
}

/** CreateScimToken: the token, with its secret in `Token` (shown this once). */
export async function createScimToken(
  deps: ScimTokenDeps,
  caller: Caller,
  body: CreateScimTokenBody,
  requestId: string,
): Promise<ScimToken & { Token: string }> {
  const id = newId();
  const secret = newSecretKey(SECRET_LENGTH);
  const created = deps.clock.now();
  const now = created.toISOString();
  const days = body.ExpiresInDays ?? MAX_SCIM_TOKEN_DAYS;
  const token: ScimToken = {
    Id: id,
    ...(body.Description !== undefined && { Description: body.Description }),
    CreatedBy: caller.id,
    CreatedTS: now,
    ExpiresTS: new Date(created.getTime() + days * DAY_MS).toISOString(),
  };
  await assertSlotFree(deps);
  const hash = await deps.hasher.hash(secret);
  await deps.audit.write(
    auditEvent({
      type: 'scim.CreateScimToken',
      actor: caller,
      targets: [target(id)],
      detail: { ExpiresTS: token.ExpiresTS, ExpiresInDays: days },
      requestId,
      time: deps.clock.now(),
    }),
  );
  const write = new TransactWriteCommand({
    TransactItems: [
      {
        Update: {
          TableName: deps.db.tableName,
          Key: COUNTER_KEY,
          UpdateExpression: 'ADD ActiveCount :one',
          ConditionExpression: 'attribute_not_exists(ActiveCount) OR ActiveCount < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': MAX_ACTIVE_SCIM_TOKENS },
        },
      },
      {
        Put: {
          TableName: deps.db.tableName,
          Item: {
            ...tokenKey(id),
            GSI1PK: TOKEN_KIND,
            GSI1SK: `${now}#${id}`,
            ...token,
            SecretHash: hash,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
  });
  try {
    await sendRetryingConflicts(deps, write);
  } catch (error) {
    await auditFailure(deps, 'scim.CreateScimToken', caller, id, requestId);
    if (isConditionFailure(error)) throw await tooManyTokens(deps);
    throw error;
  }
  return { ...token, Token: `scim_${id}_${secret}` };
}

/** ReadScimTokens: the active tokens, oldest first, each saying whether it has expired. */
export async function readScimTokens(deps: ScimTokenDeps): Promise<ListedScimToken[]> {
  const now = deps.clock.now();
  return (await readTokenItems(deps)).map((item) => toListedScimToken(item, now));
}

async function readTokenItems(deps: ScimTokenDeps): Promise<Record<string, unknown>[]> {
  const { Items: items = [] } = await deps.db.doc.send(
    new QueryCommand({
      TableName: deps.db.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :kind',
      ExpressionAttributeValues: { ':kind': TOKEN_KIND },
    }),
  );
  return items;
}

/** DeleteScimToken: the token stops working at once (the next request with it gets 401). */
export async function deleteScimToken(
  deps: ScimTokenDeps,
  caller: Caller,
  id: string,
  requestId: string,
): Promise<void> {
  if (!isUuid(id))
    throw new ValidationError('id', 'must be a SCIM token id (a UUID, as ReadScimTokens lists it)');
  const tokenId = id.toLowerCase();
  const { Item: item } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: tokenKey(tokenId), ConsistentRead: true }),
  );
  if (!item) throw new NotFoundError('SCIM token', tokenId);
  await deps.audit.write(
    auditEvent({
      type: 'scim.DeleteScimToken',
      actor: caller,
      targets: [target(tokenId)],
      requestId,
      time: deps.clock.now(),
    }),
  );
  try {
    await deps.db.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: deps.db.tableName,
              Key: tokenKey(tokenId),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
          {
            Update: {
              TableName: deps.db.tableName,
              Key: COUNTER_KEY,
              UpdateExpression: 'ADD ActiveCount :minusOne',
              ConditionExpression: 'ActiveCount > :zero',
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
            },
          },
        ],
      }),
    );
  } catch (error) {
    await auditFailure(deps, 'scim.DeleteScimToken', caller, tokenId, requestId);
    if (error instanceof Error && error.name === 'TransactionCanceledException') {
      throw new NotFoundError('SCIM token', tokenId);
    }
    throw error;
  }
}

/**
 * What the `Authorization` header of a SCIM request proved: a live token (its id), a genuine
 * token past its expiry (the holder may be told so), or nothing (refused without saying why).
 */
export type ScimTokenAuthentication =
  | { readonly outcome: 'authenticated'; readonly tokenId: string }
  | { readonly outcome: 'expired'; readonly tokenId: string; readonly expiresTS: string }
  | { readonly outcome: 'refused' };

const REFUSED: ScimTokenAuthentication = { outcome: 'refused' };

/**
 * Checks the token an `Authorization` header carries: one GetItem, then a constant-time
 * comparison of the secret's keyed hash, and only then its expiry, so that only the holder of
 * a genuine token learns that it expired. An unknown id is refused without hashing: ids are
 * random UUIDs, knowing that one exists is of no use without its 40-character secret, and a
 * hash for every junk request would be a KMS call in AWS (cost, and the account's KMS quota).
 */
export async function authenticateScimToken(
  deps: Pick<ScimTokenDeps, 'db' | 'hasher' | 'clock'>,
  authorization: string | undefined,
): Promise<ScimTokenAuthentication> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const parts = match?.[1] === undefined ? null : TOKEN_PATTERN.exec(match[1]);
  const [, id, secret] = parts ?? [];
  if (id === undefined || secret === undefined) return REFUSED;
  const { Item: item } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: tokenKey(id), ConsistentRead: true }),
  );
  if (typeof item?.SecretHash !== 'string') return REFUSED;
  if (!(await secretMatches(deps.hasher, secret, item.SecretHash))) return REFUSED;
  const expiresTS = expiryOf(item);
  if (isExpired(expiresTS, deps.clock.now())) {
    return { outcome: 'expired', tokenId: id, expiresTS };
  }
  return { outcome: 'authenticated', tokenId: id };
}

/** The SCIM `detail` for an expired token: what the identity provider's administrator must do. */
export function expiredScimTokenDetail(expiresTS: string): string {
  return `This SCIM token expired on ${expiresTS}: an Admin creates a new one in staxid (POST /20190206/scim-tokens), pastes it into the identity provider's provisioning settings as the API token, then deletes the expired one`;
}

/** Sends a transaction, again when DynamoDB cancelled it for a concurrent one (not for a failed condition). */
async function sendRetryingConflicts(deps: ScimTokenDeps, write: TransactWriteCommand): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.db.doc.send(write);
      return;
    } catch (error) {
      if (isConditionFailure(error) || !isCancelled(error) || attempt >= 5) throw error;
      await backoff(attempt);
    }
  }
}

function isCancelled(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionCanceledException';
}

function isConditionFailure(error: unknown): boolean {
  if (!isCancelled(error)) return false;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** Refuses a third token before anything is hashed or audited (the transaction still enforces it). */
async function assertSlotFree(deps: ScimTokenDeps): Promise<void> {
  const { Item: counter } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: COUNTER_KEY, ConsistentRead: true }),
  );
  if (typeof counter?.ActiveCount === 'number' && counter.ActiveCount >= MAX_ACTIVE_SCIM_TOKENS) {
    throw await tooManyTokens(deps);
  }
}

/** The refusal at the limit, naming the expired tokens: those are the ones to delete. */
async function tooManyTokens(deps: ScimTokenDeps): Promise<InvalidStateError> {
  const expired = (await readScimTokens(deps)).filter((token) => token.Expired);
  const names = expired.map((token) => `${token.Id} (expired on ${token.ExpiresTS})`);
  const hint = names.length === 0 ? '' : `; expired, still counted until deleted: ${names.join(', ')}`;
  return new InvalidStateError(
    `There are already ${MAX_ACTIVE_SCIM_TOKENS} active SCIM tokens, the most allowed: delete one (DELETE /20190206/scim-tokens/{id}) before creating another${hint}`,
  );
}

async function auditFailure(
  deps: ScimTokenDeps,
  type: string,
  caller: Caller,
  id: string,
  requestId: string,
): Promise<void> {
  try {
    await deps.audit.write(
      auditEvent({
        type,
        actor: caller,
        targets: [target(id)],
        outcome: 'FAILURE',
        requestId,
        time: deps.clock.now(),
      }),
    );
  } catch (error) {
    deps.logger.error('could not write the FAILURE audit event of a SCIM token change', {
      requestId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
