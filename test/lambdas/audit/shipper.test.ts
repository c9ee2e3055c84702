import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { shipAuditEventsHandler } from '@/lambdas/audit/ship-audit-events';
import { type OutboxStreamRecord, shipOutboxRecords } from '@/lambdas/audit/shipper';
import {
  type AuditEvent,
  type AuditSink,
  AuditWriteError,
  auditEvent,
  auditObjectKey,
  FileAuditSink,
  MemoryAuditSink,
} from '@/lambdas/shared/audit';
import { S3AuditSink } from '@/lambdas/shared/audit-bucket';
import { auditOutboxItem } from '@/lambdas/shared/audit-outbox';
import { quietLogger } from '@/test/lambdas/tasks/harness';
import { ADMIN } from '@/test/support/api-event';

function sampleEvent(type = 'teams.CreateGroup'): AuditEvent {
  return auditEvent({ type, actor: ADMIN, targets: [{ type: 'group', id: 'g-1' }] });
}

let sequence = 100;
/** A stream record as Lambda and GetRecords carry it. */
function record(image: object, eventName = 'INSERT'): OutboxStreamRecord {
  sequence += 1;
  return {
    eventName,
    dynamodb: {
      NewImage: marshall(image as Record<string, unknown>, { removeUndefinedValues: true }),
      SequenceNumber: String(sequence).padStart(21, '0'),
    },
  };
}

/** Fails the events it is told to, and keeps the others. */
class SelectiveSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  constructor(private readonly failing: ReadonlySet<string>) {}

  async write(event: AuditEvent): Promise<void> {
    if (this.failing.has(event.eventId)) throw new AuditWriteError(new Error('bucket unreachable'));
    this.events.push(event);
  }
}

describe('shipOutboxRecords', () => {
  it('delivers every new outbox event and ignores every other change of the table', async () => {
    const events = [sampleEvent(), sampleEvent('teams.DeleteGroup')];
    const sink = new MemoryAuditSink();
    const result = await shipOutboxRecords(
      [
        record(auditOutboxItem(events[0] as AuditEvent)),
        record({ PK: 'GROUP#g-1', SK: 'GROUP', Name: 'DevOps' }),
        record(auditOutboxItem(events[1] as AuditEvent)),
        // TTL expiry and updates of outbox items are not new events.
        record(auditOutboxItem(sampleEvent()), 'REMOVE'),
        record(auditOutboxItem(sampleEvent()), 'MODIFY'),
      ],
      sink,
      quietLogger,
    );
    expect(result).toEqual({ delivered: 2 });
    expect(sink.events.map((event) => event.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
  });

  it('counts an event delivered before as delivered, so a retried batch succeeds', async () => {
    const root = mkdtempSync(join(tmpdir(), 'staxid-ship-'));
    try {
      const event = sampleEvent();
      const sink = new FileAuditSink(root);
      const records = [record(auditOutboxItem(event))];
      expect(await shipOutboxRecords(records, sink, quietLogger)).toEqual({ delivered: 1 });
      expect(await shipOutboxRecords(records, sink, quietLogger)).toEqual({ delivered: 1 });
      expect(JSON.parse(readFileSync(join(root, auditObjectKey(event)), 'utf8'))).toEqual(event);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('asks for a retry from the earliest record whose delivery failed', async () => {
    const events = Array.from({ length: 20 }, () => sampleEvent());
    const records = events.map((event) => record(auditOutboxItem(event)));
    const sink = new SelectiveSink(new Set([events[15]?.eventId ?? '', events[4]?.eventId ?? '']));
    const result = await shipOutboxRecords(records, sink, quietLogger);
    expect(result).toEqual({ delivered: 18, retryFrom: records[4]?.dynamodb?.SequenceNumber });
  });

  it('skips, with an error log, an outbox record that holds no valid event', async () => {
    const errors: string[] = [];
    const logger = { ...quietLogger, error: (message: string) => errors.push(message) };
    const sink = new MemoryAuditSink();
    const result = await shipOutboxRecords(
      [record({ PK: 'AUDIT#x', SK: 'AUDIT', Event: { eventId: 'x', time: 'not a time' } })],
      sink,
      logger,
    );
    expect(result).toEqual({ delivered: 0 });
    expect(sink.events).toEqual([]);
    expect(errors).toEqual(['audit outbox record without a valid event: skipped']);
  });
});

describe('ship-audit-events handler', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  const handler = shipAuditEventsHandler(
    () =>
      new S3AuditSink({
        bucket: 'staxid-audit-333333333333-eu-west-1',
        writerRoleArn: 'arn:aws:iam::222222222222:role/staxid-audit-writer',
        region: 'eu-west-1',
        s3: new S3Client({ region: 'eu-west-1' }),
      }),
    quietLogger,
  );

  function streamEvent(records: OutboxStreamRecord[]): DynamoDBStreamEvent {
    return { Records: records } as DynamoDBStreamEvent;
  }

  it('puts each event at its bucket key and reports no failure', async () => {
    s3.on(PutObjectCommand).resolves({});
    const event = sampleEvent();
    expect(await handler(streamEvent([record(auditOutboxItem(event))]))).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      auditObjectKey(event),
    ]);
  });

  it('treats 412 (already in the bucket) as delivered and reports an unreachable bucket for retry', async () => {
    const delivered = sampleEvent();
    const failing = sampleEvent();
    s3.on(PutObjectCommand, { Key: auditObjectKey(delivered) }).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'precondition failed',
      }),
    );
    s3.on(PutObjectCommand, { Key: auditObjectKey(failing) }).rejects(new Error('connect ETIMEDOUT'));
    const records = [record(auditOutboxItem(delivered)), record(auditOutboxItem(failing))];
    expect(await handler(streamEvent(records))).toEqual({
      batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }],
    });
  });
});
