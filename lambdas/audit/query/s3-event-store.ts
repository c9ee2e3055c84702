import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { type AuditEventStore, hourPrefix, parseStoredEvent } from '@/lambdas/audit/query/event-store';
import type { AuditEvent } from '@/lambdas/shared/audit';
import { mapWithConcurrency } from '@/lambdas/shared/concurrency';

export interface S3AuditEventStoreOptions {
  readonly bucket: string;
  /** `staxid-audit-reader` in the security account: the only role the bucket lets read events. */
  readonly readerRoleArn: string;
  readonly region: string;
  /** @default 16 GetObject calls at a time */
  readonly concurrency?: number;
  /** @default an S3 client using the reader role's temporary credentials */
  readonly s3?: S3Client;
}

/** Reads audit events from the Audit bucket through the audit reader role. */
export class S3AuditEventStore implements AuditEventStore {
  private readonly s3: S3Client;
  private readonly concurrency: number;

  constructor(private readonly options: S3AuditEventStoreOptions) {
    this.concurrency = options.concurrency ?? 16;
    this.s3 =
      options.s3 ??
      new S3Client({
        region: options.region,
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: options.readerRoleArn,
            RoleSessionName: 'staxid-audit-reader',
            DurationSeconds: 900,
          },
          clientConfig: { region: options.region },
        }),
      });
  }

  async eventsInHour(hourStartMs: number): Promise<AuditEvent[]> {
    const keys = await this.keysUnder(hourPrefix(hourStartMs));
    const texts = await mapWithConcurrency(keys, this.concurrency, (key) => this.read(key));
    return texts.map(parseStoredEvent).filter((event): event is AuditEvent => event !== undefined);
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith('.json')) keys.push(object.Key);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return keys;
  }

  private async read(key: string): Promise<string> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
    return object.Body ? object.Body.transformToString('utf8') : '';
  }
}
