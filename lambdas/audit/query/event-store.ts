import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '@/lambdas/shared/audit';
import { AUDIT_EVENTS_PREFIX } from '@/lambdas/shared/constants';

/**
 * Where the audit query reads events: the Audit bucket in AWS, the same layout under
 * `$STAXID_HOME/audit/` locally. Keys are `events/YYYY/MM/DD/HH/<eventId>.json`, so the
 * hour is the unit a store can find by key; the order inside an hour comes from each
 * event's `time`, after reading.
 */
export interface AuditEventStore {
  /** Every event stored under the UTC hour that starts at `hourStartMs`, in no particular order. */
  eventsInHour(hourStartMs: number): Promise<AuditEvent[]>;
}

export const HOUR_MS = 60 * 60 * 1000;

/** The start of the UTC hour holding `ms`. */
export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** `events/YYYY/MM/DD/HH/`: the key prefix of one hour, as auditObjectKey() writes it. */
export function hourPrefix(hourStartMs: number): string {
  const iso = new Date(hourStartMs).toISOString();
  return `${AUDIT_EVENTS_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/`;
}

/**
 * Parses a stored object. Anything that is not an audit event (a stray or truncated file)
 * is skipped rather than failing the whole query: `undefined`.
 */
export function parseStoredEvent(text: string): AuditEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Partial<Record<keyof AuditEvent, unknown>>;
  const actor = event.actor as { id?: unknown } | null | undefined;
  const wellFormed =
    typeof event.eventId === 'string' &&
    typeof event.staxEventType === 'string' &&
    typeof event.time === 'string' &&
    !Number.isNaN(Date.parse(event.time)) &&
    typeof actor === 'object' &&
    actor !== null &&
    typeof actor.id === 'string' &&
    Array.isArray(event.target);
  return wellFormed ? (value as AuditEvent) : undefined;
}

/** Reads the files FileAuditSink writes (local mode). */
export class FileAuditEventStore implements AuditEventStore {
  constructor(private readonly root: string) {}

  async eventsInHour(hourStartMs: number): Promise<AuditEvent[]> {
    const directory = join(this.root, hourPrefix(hourStartMs));
    const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const texts = await Promise.all(
      names.filter((name) => name.endsWith('.json')).map((name) => readFile(join(directory, name), 'utf8')),
    );
    return texts.map(parseStoredEvent).filter((event): event is AuditEvent => event !== undefined);
  }
}
