import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AUDIT_EVENTS_PREFIX } from '@/lambdas/shared/constants';
import { AuditWriteError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import type { Caller } from '@/lambdas/shared/permissions';
import { SERVICE_NAME, serviceVersion } from '@/lambdas/shared/service-info';

/**
 * The audit trail. Every change, every token exchange and every sign-in is one JSON
 * object in the Audit bucket of the logging account (`events/YYYY/MM/DD/HH/<eventId>.json`),
 * or the same layout under `$STAXID_HOME/audit/` in local mode.
 *
 * The rule is "no audit event, no change": domain code writes the event before it
 * commits, and a failed write fails the request. API changes write it to the table's
 * outbox (audit-outbox.ts), shipped to the bucket from the table's stream; AWS sign-ins
 * write it to the bucket directly (audit-bucket.ts) before they answer (ADR 0010).
 */

export interface AuditActor {
  readonly type: 'user' | 'token' | 'system' | 'anonymous';
  readonly id: string;
  readonly role?: string;
}

export interface AuditTarget {
  /** `user`, `group`, `account-type`, `account`, `api-token`, ... */
  readonly type: string;
  readonly id: string;
  readonly name?: string;
}

export interface AuditEvent {
  readonly eventId: string;
  /** What happened: the operation id (`teams.CreateUser`) or a flow (`oauth2.Token`, `aws.SignIn`). */
  readonly staxEventType: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly outcome: 'SUCCESS' | 'FAILURE';
  readonly actor: AuditActor;
  readonly target: readonly AuditTarget[];
  /** Safe, non-secret facts about the event (never secrets, tokens or passwords). */
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly meta: {
    readonly service: string;
    readonly version: string;
    readonly requestId?: string;
  };
}

export interface AuditSink {
  write(event: AuditEvent): Promise<void>;
}

export { AuditWriteError };

/** The event is already in the trail under its id: a replayed delivery, not a failure. */
export class AuditEventExistsError extends AuditWriteError {
  constructor(cause: unknown) {
    super(cause);
    this.name = 'AuditEventExistsError';
  }
}

export interface AuditEventInput {
  readonly type: string;
  readonly actor: Caller | AuditActor;
  readonly targets?: readonly AuditTarget[];
  readonly outcome?: AuditEvent['outcome'];
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly requestId?: string;
  /** @default now */
  readonly time?: Date;
}

export function auditEvent(input: AuditEventInput): AuditEvent {
  const actor: AuditActor =
    'kind' in input.actor
      ? { type: input.actor.kind, id: input.actor.id, role: input.actor.role }
      : input.actor;
  return {
    eventId: newId(),
    staxEventType: input.type,
    time: (input.time ?? new Date()).toISOString(),
    outcome: input.outcome ?? 'SUCCESS',
    actor,
    target: input.targets ?? [],
    ...(input.detail && { detail: input.detail }),
    meta: {
      service: SERVICE_NAME,
      version: serviceVersion(),
      ...(input.requestId && { requestId: input.requestId }),
    },
  };
}

/** `events/YYYY/MM/DD/HH/<eventId>.json`, by the event's UTC time. */
export function auditObjectKey(event: AuditEvent): string {
  const [date = '', time = ''] = event.time.split('T');
  const [year, month, day] = date.split('-');
  const hour = time.slice(0, 2);
  return `${AUDIT_EVENTS_PREFIX}${year}/${month}/${day}/${hour}/${event.eventId}.json`;
}

/** Writes events as files under a directory laid out like the bucket (local mode). */
export class FileAuditSink implements AuditSink {
  constructor(private readonly root: string) {}

  async write(event: AuditEvent): Promise<void> {
    const path = join(this.root, auditObjectKey(event));
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // `wx`: an event is written once and never overwritten, as Object Lock guarantees in AWS.
      await writeFile(path, `${JSON.stringify(event)}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AuditEventExistsError(error);
      throw new AuditWriteError(error);
    }
  }
}

/** Keeps events in memory: for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  /** Set to make the next writes fail, as an unreachable bucket would. */
  failWith: Error | undefined;

  async write(event: AuditEvent): Promise<void> {
    if (this.failWith) throw new AuditWriteError(this.failWith);
    this.events.push(event);
  }
}

/** Environment variables that choose the direct sink: the bucket and writer role in AWS, a directory locally. */
export const AUDIT_ENV = {
  bucket: 'STAXID_AUDIT_BUCKET',
  writerRoleArn: 'STAXID_AUDIT_WRITER_ROLE_ARN',
  directory: 'STAXID_AUDIT_DIR',
} as const;
