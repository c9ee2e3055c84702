import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AuditEventExistsError, AuditWriteError, auditEvent } from '@/lambdas/shared/audit';
import {
  AUDIT_OUTBOX_RETENTION_DAYS,
  AUDIT_OUTBOX_SK,
  auditOutboxItem,
  OutboxAuditSink,
} from '@/lambdas/shared/audit-outbox';
import { createDb } from '@/lambdas/shared/db';
import { ADMIN } from '@/test/support/api-event';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

function sampleEvent(time = new Date('2026-11-30T10:00:00.000Z')) {
  return auditEvent({
    type: 'teams.CreateGroup',
    actor: ADMIN,
    targets: [{ type: 'group', id: 'g-1' }],
    time,
  });
}

describe('auditOutboxItem', () => {
  it('keys the item by event id and lets it expire after the retention', () => {
    const event = sampleEvent();
    const item = auditOutboxItem(event);
    expect(item).toEqual({
      PK: `AUDIT#${event.eventId}`,
      SK: AUDIT_OUTBOX_SK,
      Event: event,
      ttl: Date.parse('2026-11-30T10:00:00.000Z') / 1000 + AUDIT_OUTBOX_RETENTION_DAYS * 86400,
    });
  });
});

describe('OutboxAuditSink', () => {
  it('writes the event into the table, as the bucket will receive it', async () => {
    const event = sampleEvent();
    await new OutboxAuditSink(createDb(table.tableName, table.client)).write(event);
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { PK: `AUDIT#${event.eventId}`, SK: 'AUDIT' } }),
    );
    expect(Item?.Event).toEqual(event);
  });

  it('never replaces an event', async () => {
    const sink = new OutboxAuditSink(createDb(table.tableName, table.client));
    const event = sampleEvent();
    await sink.write(event);
    await expect(sink.write({ ...event, outcome: 'FAILURE' })).rejects.toBeInstanceOf(AuditEventExistsError);
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { PK: `AUDIT#${event.eventId}`, SK: 'AUDIT' } }),
    );
    expect(Item?.Event.outcome).toBe('SUCCESS');
  });

  it('fails with an AuditWriteError when the table cannot be written', async () => {
    const sink = new OutboxAuditSink(createDb(`missing-${table.tableName}`, table.client));
    await expect(sink.write(sampleEvent())).rejects.toBeInstanceOf(AuditWriteError);
  });
});
