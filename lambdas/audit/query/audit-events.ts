import type { AuditCursor, AuditEventFilter, AuditQuery } from '@/lambdas/audit/query/audit-query';
import { type AuditEventStore, HOUR_MS, hourStart } from '@/lambdas/audit/query/event-store';
import type { AuditEvent } from '@/lambdas/shared/audit';

/**
 * One page of the audit trail, newest first. The store is read an hour at a time from the
 * newest hour of the window down; a page stops when it has `limit` events or when it has
 * spent its read budget, and hands back a cursor to continue. A wide, sparse window thus
 * costs several short requests rather than one that outlives the Lambda.
 */

/** How much one page may read before it returns what it has. */
export interface AuditReadBudget {
  /** Events read (before filtering); an hour is always read whole. */
  readonly maxEvents: number;
  /** Hours listed, empty ones included. */
  readonly maxHours: number;
}

/** Sized for a 29 s API Gateway timeout: ~2000 GetObject at 16 in parallel, 168 ListObjectsV2 one after the other. */
export const DEFAULT_READ_BUDGET: AuditReadBudget = { maxEvents: 2000, maxHours: 168 };

export interface AuditEventPage {
  readonly events: AuditEvent[];
  /** Present when the window may hold more events: query again from here. */
  readonly cursor?: AuditCursor;
}

/** The page of `query`: at most `limit` events, newest first, and a cursor when there may be more. */
export async function readAuditEventPage(
  store: AuditEventStore,
  query: AuditQuery,
  budget: AuditReadBudget = DEFAULT_READ_BUDGET,
): Promise<AuditEventPage> {
  const lastHour = hourStart(query.fromMs);
  const collected: AuditEvent[] = [];
  let eventsRead = 0;
  let hoursRead = 0;
  for (let hour = firstHour(query); hour >= lastHour; hour -= HOUR_MS) {
    const events = await store.eventsInHour(hour);
    eventsRead += events.length;
    hoursRead += 1;
    collected.push(...events.filter((event) => inPage(event, hour, query)).sort(newestFirst));
    const moreHours = hour > lastHour;
    if (collected.length >= query.limit) {
      const page = collected.slice(0, query.limit);
      const more = collected.length > query.limit || moreHours;
      return more
        ? { events: page, cursor: cursorAt(page[page.length - 1] as AuditEvent) }
        : { events: page };
    }
    if (moreHours && (eventsRead >= budget.maxEvents || hoursRead >= budget.maxHours)) {
      // Everything from this hour on has been returned: continue with the hours before it.
      return { events: collected, cursor: { timeMs: hour, eventId: '' } };
    }
  }
  return { events: collected };
}

/** The newest hour that can still hold an event of this page. */
function firstHour(query: AuditQuery): number {
  const { cursor } = query;
  if (!cursor) return hourStart(query.toMs);
  // A cursor with no event id stands for "older than timeMs": its own hour is done.
  return hourStart(cursor.eventId === '' ? cursor.timeMs - 1 : cursor.timeMs);
}

/** In the window, after the cursor, passing the filters, and stored under its own hour (so no page sees it twice). */
function inPage(event: AuditEvent, hour: number, query: AuditQuery): boolean {
  const timeMs = Date.parse(event.time);
  if (timeMs < query.fromMs || timeMs > query.toMs || hourStart(timeMs) !== hour) return false;
  if (query.cursor && compareNewestFirst(event, query.cursor) >= 0) return false;
  return matchesFilter(event, query.filter);
}

/** Whether the event passes every filter given. */
export function matchesFilter(event: AuditEvent, filter: AuditEventFilter): boolean {
  if (filter.type !== undefined && event.staxEventType !== filter.type) return false;
  if (filter.userId !== undefined && !concernsUser(event, filter.userId)) return false;
  if (filter.accountId !== undefined && !concernsAccount(event, filter.accountId)) return false;
  return true;
}

function concernsUser(event: AuditEvent, userId: string): boolean {
  return event.actor.id === userId || event.target.some((t) => t.type === 'user' && t.id === userId);
}

/** The account is a target, or named in the detail (as an id, or inside an ARN for an AWS account id). */
function concernsAccount(event: AuditEvent, accountId: string): boolean {
  const inArn = /^\d{12}$/.test(accountId) ? `:${accountId}:` : undefined;
  const names = (value: string): boolean =>
    value.toLowerCase() === accountId || (inArn !== undefined && value.includes(inArn));
  return event.target.some((t) => names(t.id)) || someString(event.detail, names, 4);
}

function someString(value: unknown, test: (text: string) => boolean, depth: number): boolean {
  if (typeof value === 'string') return test(value);
  if (depth === 0 || typeof value !== 'object' || value === null) return false;
  return Object.values(value).some((item) => someString(item, test, depth - 1));
}

/** Positive when `a` comes before `b` in the page order (newer, or same time and greater id). */
function compareNewestFirst(a: AuditEvent, b: AuditCursor): number {
  const byTime = Date.parse(a.time) - b.timeMs;
  if (byTime !== 0) return byTime;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

function newestFirst(a: AuditEvent, b: AuditEvent): number {
  return -compareNewestFirst(a, cursorAt(b));
}

function cursorAt(event: AuditEvent): AuditCursor {
  return { timeMs: Date.parse(event.time), eventId: event.eventId };
}
