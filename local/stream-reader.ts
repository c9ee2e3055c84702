/**
 * The local stand-in for Lambda's DynamoDB stream event source mappings: reads the
 * table's stream from DynamoDB Local and hands each page of records to a consumer, which
 * may ask for a retry from one record on (as `ReportBatchItemFailures` does in AWS).
 * Consumers must be idempotent: after a restart each shard is read again from its start.
 *
 * `npm start` runs two: the audit outbox's shipper (ADR 0010: events become files under
 * `$STAXID_HOME/audit/`) and session revocation (ADR 0013: policies under
 * `$STAXID_HOME/revocations/`).
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { type OutboxStreamRecord, shipOutboxRecords } from '@/lambdas/audit/shipper';
import type { AuditSink } from '@/lambdas/shared/audit';
import type { Logger } from '@/lambdas/shared/logger';

/** What a consumer did with a page: the sequence number to read again from, when a record failed. */
export interface StreamPageResult {
  readonly retryFrom?: string;
}

export interface LocalStreamReaderOptions {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tableName: string;
  readonly logger: Logger;
  readonly consume: (records: readonly _Record[]) => Promise<StreamPageResult>;
  /** What the stream consumer is, for messages. */
  readonly name: string;
  /** @default 200 */
  readonly intervalMs?: number;
}

export interface LocalStreamReader {
  /** Consumes everything in the stream now; resolves when a pass finds nothing new. */
  flush(): Promise<void>;
  /** Consumes what is pending, then stops polling. */
  stop(): Promise<void>;
}

export interface LocalAuditShipperOptions extends Omit<LocalStreamReaderOptions, 'consume' | 'name'> {
  readonly sink: AuditSink;
}

/** The audit outbox's consumer: every new outbox item becomes one event in `sink` (ADR 0010). */
export function startLocalAuditShipper(options: LocalAuditShipperOptions): Promise<LocalStreamReader> {
  return startLocalStreamReader({
    ...options,
    name: 'audit shipper',
    consume: (records) => shipOutboxRecords(records as OutboxStreamRecord[], options.sink, options.logger),
  });
}

export async function startLocalStreamReader(options: LocalStreamReaderOptions): Promise<LocalStreamReader> {
  const { Table } = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) {
    throw new Error(
      `table ${options.tableName} has no stream: the ${options.name} needs one (local/table.ts enables it)`,
    );
  }
  /** Open shards and where to read next; a shard whose iterator ends is closed. */
  const iterators = new Map<string, string>();
  const closed = new Set<string>();

  async function discoverShards(): Promise<void> {
    let start: string | undefined;
    do {
      const { StreamDescription } = await options.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        const shardId = shard.ShardId;
        if (!shardId || iterators.has(shardId) || closed.has(shardId)) continue;
        const { ShardIterator } = await options.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        if (ShardIterator) iterators.set(shardId, ShardIterator);
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  }

  /** Reads each open shard once; returns how many records it saw. */
  async function pass(): Promise<number> {
    await discoverShards();
    let seen = 0;
    for (const [shardId, iterator] of iterators) {
      const page = await options.streams
        .send(new GetRecordsCommand({ ShardIterator: iterator }))
        .catch((error: unknown) => {
          // An iterator unused for 15 minutes expires: read the shard again from its start.
          if ((error as Error).name !== 'ExpiredIteratorException') throw error;
          iterators.delete(shardId);
          return undefined;
        });
      if (!page) continue;
      const records = page.Records ?? [];
      seen += records.length;
      const result = await options.consume(records);
      if (result.retryFrom !== undefined) {
        // Read the failed record (and what follows) again on the next pass.
        const { ShardIterator } = await options.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            SequenceNumber: result.retryFrom,
          }),
        );
        if (ShardIterator) iterators.set(shardId, ShardIterator);
        return seen;
      }
      if (page.NextShardIterator) iterators.set(shardId, page.NextShardIterator);
      else {
        iterators.delete(shardId);
        closed.add(shardId);
      }
    }
    return seen;
  }

  let running: Promise<unknown> = Promise.resolve();
  /** Passes never overlap: each waits for the one before. */
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = running.then(work, work);
    running = next.catch(() => undefined);
    return next;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    timer = setTimeout(() => {
      serialized(pass)
        .catch((error: unknown) =>
          options.logger.error('local audit shipper pass failed', { error: String(error) }),
        )
        .finally(() => {
          if (!stopped) tick();
        });
    }, options.intervalMs ?? 200);
  };
  tick();

  const flush = (): Promise<void> =>
    serialized(async () => {
      // DynamoDB Local returns an empty page now and then while records are pending: read until two passes agree.
      let quiet = 0;
      for (let round = 0; round < 50 && quiet < 2; round++) quiet = (await pass()) === 0 ? quiet + 1 : 0;
    });

  return {
    flush,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await flush();
    },
  };
}
