import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import {
  AUDIT_ENV,
  type AuditEvent,
  AuditEventExistsError,
  type AuditSink,
  AuditWriteError,
  auditObjectKey,
  FileAuditSink,
} from '@/lambdas/shared/audit';

/**
 * The direct way into the audit trail: one object in the Audit bucket of the logging
 * account, written through the audit writer role. AWS sign-ins use it before they answer,
 * and the outbox shipper uses it to deliver what API changes put in the table (ADR 0010).
 * Kept apart from audit.ts so that functions that only record events bundle no S3 client.
 */

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
      // 412: an object with this key exists. Event ids are unique, so it is this event, delivered before.
      if (httpStatusOf(error) === 412) throw new AuditEventExistsError(error);
      throw new AuditWriteError(error);
    }
  }
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

let shared: AuditSink | undefined;

/** The direct sink this function was configured with (files locally, the bucket in AWS); built once per container. */
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
