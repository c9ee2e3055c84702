/**
 * Reads the audit events a test's handlers recorded in the table's outbox (ADR 0010),
 * as the stream consumer will deliver them. Tests may Scan; request paths never do.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '@/lambdas/shared/audit';
import { AUDIT_OUTBOX_EVENT_ATTRIBUTE, AUDIT_OUTBOX_SK } from '@/lambdas/shared/audit-outbox';
import type { TestTable } from '@/test/support/dynamodb';

export async function outboxEvents(table: Pick<TestTable, 'doc' | 'tableName'>): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        FilterExpression: 'SK = :sk',
        ExpressionAttributeValues: { ':sk': AUDIT_OUTBOX_SK },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) events.push(item[AUDIT_OUTBOX_EVENT_ATTRIBUTE] as AuditEvent);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events.sort((a, b) => a.time.localeCompare(b.time));
}
