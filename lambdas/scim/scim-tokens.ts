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
 */

/** IAM Identity Center's limit, kept so that rotation works the same way. */
export const MAX_ACTIVE_SCIM_TOKENS = 2;

const SECRET_LENGTH = 40;
const TOKEN_PATTERN =
  /^scim_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9]{40})$/;
const TOKEN_KIND = 'SCIMTOKEN';
const COUNTER_KEY = { PK: 'SCIMTOKENS', SK: 'COUNTER' } as const;
const MAX_DESCRIPTION = 256;

/** A SCIM token as the API shows it: never its secret nor its hash. */
export interface ScimToken {
  readonly Id: string;
  readonly Description?: string;
  readonly CreatedBy: string;
  readonly CreatedTS: string;
}

/** The body of CreateScimToken: an optional note on where the token is used. */
export interface CreateScimTokenBody {
  readonly Description?: string;
}

/** Checks CreateScimToken's JSON body (none, `{}` or `{Description}`). */
export function parseCreateScimTokenBody(body: unknown): CreateScimTokenBody {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('Body', 'must be a JSON object such as {"Description": "Okta"}');
  }
  const { Description: description, ...rest } = body as Record<string, unknown>;
  const [unknown] = Object.keys(rest);
  if (unknown !== undefined) {
    throw new ValidationError(`Body.${unknown}`, 'is not a field of CreateScimToken: send only Description');
  }
  if (description === undefined) return {};
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
    throw new ValidationError(
      'Body.Description',
      `must be a string of at most ${MAX_DESCRIPTION} characters`,
    );
  }
  return { Description: description };
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
  };
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
  const now = deps.clock.now().toISOString();
  const token: ScimToken = {
    Id: id,
    ...(body.Description !== undefined && { Description: body.Description }),
    CreatedBy: caller.id,
    CreatedTS: now,
  };
  await assertSlotFree(deps);
  const hash = await deps.hasher.hash(secret);
  await deps.audit.write(
    auditEvent({
      type: 'scim.CreateScimToken',
      actor: caller,
      targets: [target(id)],
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
    if (isConditionFailure(error)) throw tooManyTokens();
    throw error;
  }
  return { ...token, Token: `scim_${id}_${secret}` };
}

/** ReadScimTokens: the active tokens, oldest first. */
export async function readScimTokens(deps: ScimTokenDeps): Promise<ScimToken[]> {
  const { Items: items = [] } = await deps.db.doc.send(
    new QueryCommand({
      TableName: deps.db.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :kind',
      ExpressionAttributeValues: { ':kind': TOKEN_KIND },
    }),
  );
  return items.map(toScimToken);
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
 * The id of the token an `Authorization` header carries, or undefined when it carries none
 * that is valid: one GetItem, then a constant-time comparison of the secret's keyed hash.
 */
export async function authenticateScimToken(
  deps: Pick<ScimTokenDeps, 'db' | 'hasher'>,
  authorization: string | undefined,
): Promise<string | undefined> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const parts = match?.[1] === undefined ? null : TOKEN_PATTERN.exec(match[1]);
  const [, id, secret] = parts ?? [];
  if (id === undefined || secret === undefined) return undefined;
  const { Item: item } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: tokenKey(id), ConsistentRead: true }),
  );
  if (typeof item?.SecretHash !== 'string') return undefined;
  return (await secretMatches(deps.hasher, secret, item.SecretHash)) ? id : undefined;
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
    throw tooManyTokens();
  }
}

function tooManyTokens(): InvalidStateError {
  return new InvalidStateError(
    `There are already ${MAX_ACTIVE_SCIM_TOKENS} active SCIM tokens, the most allowed: delete one (DELETE /20190206/scim-tokens/{id}) before creating another`,
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
