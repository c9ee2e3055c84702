import { ValidationError } from '@/lambdas/shared/errors';

/**
 * Paging of the permission-sets API: `limit` (1–100, default 100) and an opaque
 * `page_token`, the `Paging.NextToken` of the previous page. A token holds the sort key of
 * the last record sent, so pages stay consistent while records are added or removed.
 */

export const MAX_LIMIT = 100;

export interface PageRequest {
  readonly limit: number;
  /** The sort key after which the page starts; none for the first page. */
  readonly after?: string;
}

export interface Page<T> {
  readonly records: T[];
  readonly Paging: { readonly NextToken?: string };
}

/** Reads `limit` and `page_token` from the query string, refusing anything else in them. */
export function pageRequest(query: Readonly<Record<string, string>>, withLimit = true): PageRequest {
  const after = query.page_token === undefined ? undefined : decodeToken(query.page_token);
  if (!withLimit || query.limit === undefined)
    return { limit: MAX_LIMIT, ...(after !== undefined && { after }) };
  if (!/^\d{1,4}$/.test(query.limit) || Number(query.limit) < 1 || Number(query.limit) > MAX_LIMIT) {
    throw new ValidationError('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { limit: Number(query.limit), ...(after !== undefined && { after }) };
}

/** One page of `records`, already sorted by `sortKey`, starting after `request.after`. */
export function pageOf<T>(
  records: readonly T[],
  sortKey: (record: T) => string,
  request: PageRequest,
): Page<T> {
  const start =
    request.after === undefined ? 0 : records.findIndex((record) => sortKey(record) > (request.after ?? ''));
  const rest = start < 0 ? [] : records.slice(start);
  const page = rest.slice(0, request.limit);
  const last = page.at(-1);
  return {
    records: page,
    Paging: rest.length > page.length && last !== undefined ? { NextToken: encodeToken(sortKey(last)) } : {},
  };
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const refused = new ValidationError(
    'page_token',
    'is not a token this API issued: pass Paging.NextToken of the previous page unchanged, or leave it out for the first page',
  );
  if (token.length === 0 || token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) throw refused;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && 'after' in value && typeof value.after === 'string') {
      return value.after;
    }
  } catch {
    // refused below
  }
  throw refused;
}
