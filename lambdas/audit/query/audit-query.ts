import { createHash } from 'node:crypto';
import { ValidationError } from '@/lambdas/shared/errors';
import { isUuid } from '@/lambdas/shared/ids';

/**
 * The parameters of `GET /20190206/audit/events`, validated: every bad value is a 400
 * that names the parameter and says how to fix it, before a single object is read.
 */

/** The staxEventType of an AWS sign-in, the only events that can be corroborated in CloudTrail. */
export const AWS_SIGN_IN_EVENT_TYPE = 'aws.SignIn';

export const DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000;
export const MAX_WINDOW_DAYS = 31;
const MAX_WINDOW_MS = MAX_WINDOW_DAYS * DEFAULT_WINDOW_MS;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;
/** Corroboration costs CloudTrail calls per event (LookupEvents allows 2 per second per account): keep such pages small. */
export const MAX_CORROBORATED_LIMIT = 50;
export const DEFAULT_CORROBORATED_LIMIT = 20;

const PARAMETERS = ['type', 'user_id', 'account_id', 'from', 'to', 'limit', 'next_token', 'corroborate'];

/** The filters an event must pass; all given ones must match. */
export interface AuditEventFilter {
  readonly type?: string;
  /** The actor's id, or the id of a target of type `user`. */
  readonly userId?: string;
  /** A 12-digit AWS account id or a Stax account id, in the targets or the detail. */
  readonly accountId?: string;
}

/** A position in the newest-first order: the next page holds the events strictly after it. */
export interface AuditCursor {
  readonly timeMs: number;
  /** `''` sorts before every event id: the cursor then stands for "everything older than timeMs". */
  readonly eventId: string;
}

export interface AuditQuery {
  readonly filter: AuditEventFilter;
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit: number;
  readonly corroborate: boolean;
  readonly cursor?: AuditCursor;
}

/** Turns the query string into an AuditQuery; `nowMs` is the default end of the window. */
export function parseAuditQuery(params: Readonly<Record<string, string>>, nowMs: number): AuditQuery {
  for (const name of Object.keys(params)) {
    if (!PARAMETERS.includes(name)) {
      throw new ValidationError(name, `is not a known parameter: use ${PARAMETERS.join(', ')}`);
    }
  }
  const filter = parseFilter(params);
  const corroborate = parseCorroborate(params.corroborate, filter);
  const limit = parseLimit(params.limit, corroborate);
  const token = params.next_token === undefined ? undefined : decodePageToken(params.next_token);
  const explicitFrom = optionalTime(params, 'from');
  const explicitTo = optionalTime(params, 'to');
  if (token) {
    assertSameAsToken(token, filter, explicitFrom, explicitTo);
    return { filter, fromMs: token.fromMs, toMs: token.toMs, limit, corroborate, cursor: token.cursor };
  }
  const toMs = explicitTo ?? nowMs;
  const fromMs = explicitFrom ?? toMs - DEFAULT_WINDOW_MS;
  assertWindow(fromMs, toMs, explicitFrom !== undefined);
  return { filter, fromMs, toMs, limit, corroborate };
}

function parseFilter(params: Readonly<Record<string, string>>): AuditEventFilter {
  const type = params.type;
  // Operation events are `<domain>.<Operation>`; Stax's own event names have no dot (UserAuthenticationEvent).
  if (type !== undefined && !/^[A-Za-z0-9]{1,64}(?:\.[A-Za-z0-9]{1,64})?$/.test(type)) {
    throw new ValidationError(
      'type',
      'must be an event type such as teams.CreateUser, aws.SignIn or UserAuthenticationEvent',
    );
  }
  const userId = params.user_id;
  if (userId !== undefined && !/^[\w.@:+-]{1,128}$/.test(userId)) {
    throw new ValidationError('user_id', 'must be a user id (1 to 128 letters, digits or ._@:+-)');
  }
  const accountId = params.account_id;
  if (accountId !== undefined && !/^\d{12}$/.test(accountId) && !isUuid(accountId)) {
    throw new ValidationError(
      'account_id',
      'must be a 12-digit AWS account id or a Stax account id (a UUID)',
    );
  }
  return {
    ...(type !== undefined && { type }),
    ...(userId !== undefined && { userId }),
    ...(accountId !== undefined && { accountId: accountId.toLowerCase() }),
  };
}

function parseCorroborate(value: string | undefined, filter: AuditEventFilter): boolean {
  if (value === undefined || value === 'false') return false;
  if (value !== 'true') throw new ValidationError('corroborate', 'must be true or false');
  if (filter.type !== AWS_SIGN_IN_EVENT_TYPE) {
    throw new ValidationError(
      'corroborate',
      `applies to AWS sign-ins only: add type=${AWS_SIGN_IN_EVENT_TYPE} to the query`,
    );
  }
  return true;
}

function parseLimit(value: string | undefined, corroborate: boolean): number {
  const max = corroborate ? MAX_CORROBORATED_LIMIT : MAX_LIMIT;
  if (value === undefined) return corroborate ? DEFAULT_CORROBORATED_LIMIT : DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= max)) {
    const why = corroborate ? ' when corroborate=true' : '';
    throw new ValidationError('limit', `must be a whole number from 1 to ${max}${why}`);
  }
  return limit;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function optionalTime(params: Readonly<Record<string, string>>, name: 'from' | 'to'): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  const ms = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(name, 'must be an ISO 8601 time with a zone, e.g. 2026-11-30T08:00:00Z');
  }
  return ms;
}

function assertWindow(fromMs: number, toMs: number, fromGiven: boolean): void {
  const field = fromGiven ? 'from' : 'to';
  if (fromMs > toMs) throw new ValidationError(field, 'must make from earlier than (or equal to) to');
  if (toMs - fromMs > MAX_WINDOW_MS) {
    throw new ValidationError(
      field,
      `the window from..to is longer than ${MAX_WINDOW_DAYS} days: query a shorter window (default: the last 24 hours)`,
    );
  }
}

// ---- next_token ------------------------------------------------------------------------

interface PageToken {
  readonly fromMs: number;
  readonly toMs: number;
  readonly filterDigest: string;
  readonly cursor: AuditCursor;
}

/** A stable digest of the filters, so a token cannot be replayed with other filters. */
function filterDigest(filter: AuditEventFilter): string {
  const canonical = JSON.stringify([filter.type ?? null, filter.userId ?? null, filter.accountId ?? null]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

const TOKEN_VERSION = 1;

/** The NextToken that continues `query` after `cursor`: opaque to clients, validated when it returns. */
export function encodePageToken(query: AuditQuery, cursor: AuditCursor): string {
  const token = [
    TOKEN_VERSION,
    query.fromMs,
    query.toMs,
    filterDigest(query.filter),
    cursor.timeMs,
    cursor.eventId,
  ];
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

const INVALID_TOKEN = 'is not a NextToken this API returned: repeat the query without it';

function decodePageToken(value: string): PageToken {
  const fields = tokenFields(value);
  const [version, fromMs, toMs, digest, timeMs, eventId] = fields;
  const valid =
    fields.length === 6 &&
    version === TOKEN_VERSION &&
    isWholeMs(fromMs) &&
    isWholeMs(toMs) &&
    isWholeMs(timeMs) &&
    typeof digest === 'string' &&
    typeof eventId === 'string' &&
    /^[\w-]{0,64}$/.test(eventId) &&
    fromMs <= timeMs &&
    timeMs <= toMs &&
    toMs - fromMs <= MAX_WINDOW_MS;
  if (!valid) throw new ValidationError('next_token', INVALID_TOKEN);
  return { fromMs, toMs, filterDigest: digest, cursor: { timeMs, eventId } };
}

function tokenFields(value: string): unknown[] {
  if (value.length > 512 || !/^[\w-]+$/.test(value)) throw new ValidationError('next_token', INVALID_TOKEN);
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // not JSON: refused below
  }
  throw new ValidationError('next_token', INVALID_TOKEN);
}

function isWholeMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function assertSameAsToken(
  token: PageToken,
  filter: AuditEventFilter,
  fromMs: number | undefined,
  toMs: number | undefined,
): void {
  if (token.filterDigest !== filterDigest(filter)) {
    throw new ValidationError(
      'next_token',
      'belongs to a query with other filters: send the same type, user_id and account_id as the first page',
    );
  }
  if (fromMs !== undefined && fromMs !== token.fromMs) {
    throw new ValidationError(
      'from',
      'differs from the first page of this NextToken: send the same value or none',
    );
  }
  if (toMs !== undefined && toMs !== token.toMs) {
    throw new ValidationError(
      'to',
      'differs from the first page of this NextToken: send the same value or none',
    );
  }
}
