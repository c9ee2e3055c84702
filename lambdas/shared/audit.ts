import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
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
 * commits, and a failed write fails the request.
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
      throw new AuditWriteError(error);
    }
  }
}

export interface S3AuditSinkOptions {
  readonly bucket: string;
  /** The audit writer role in the security account, assumed for each batch of writes. */
  readonly writerRoleArn: string;
  readonly region: string;
  /** @default an S3 client using the writer role's temporary credentials */
  readonly s3?: S3Client;
}

/** Writes events to the Audit bucket through the audit writer role. */
export class S3AuditSink implements AuditSink {
  private readonly s3: S3Client;

  constructor(private readonly options: S3AuditSinkOptions) {
    this.s3 =
      options.s3 ??
      new S3Client({
        region: options.region,
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: options.writerRoleArn,
            RoleSessionName: 'staxid-audit-writer',
            DurationSeconds: 900,
          },
          clientConfig: { region: options.region },
        }),
      });
  }

  async write(event: AuditEvent): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: auditObjectKey(event),
          Body: JSON.stringify(event),
          ContentType: 'application/json',
          // Never replace an event: a second write with the same key fails.
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
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

/** Environment variables that choose the sink: the bucket and writer role in AWS, a directory locally. */
export const AUDIT_ENV = {
  bucket: 'STAXID_AUDIT_BUCKET',
  writerRoleArn: 'STAXID_AUDIT_WRITER_ROLE_ARN',
  directory: 'STAXID_AUDIT_DIR',
} as const;

let shared: AuditSink | undefined;

/** The sink this function was configured with; built once per container. */
export function auditSinkFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSink {
  if (shared) return shared;
  const directory = env[AUDIT_ENV.directory];
  const bucket = env[AUDIT_ENV.bucket];
  const writerRoleArn = env[AUDIT_ENV.writerRoleArn];
  const region = env.AWS_REGION;
  if (directory) shared = new FileAuditSink(directory);
  else if (bucket && writerRoleArn && region) shared = new S3AuditSink({ bucket, writerRoleArn, region });
  else {
    throw new Error(
      `audit sink not configured: set ${AUDIT_ENV.directory}, or ${AUDIT_ENV.bucket} and ${AUDIT_ENV.writerRoleArn} (and AWS_REGION)`,
    );
  }
  return shared;
}
