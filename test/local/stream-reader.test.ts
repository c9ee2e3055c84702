import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  type AuditEvent,
  type AuditSink,
  AuditWriteError,
  auditEvent,
  auditObjectKey,
  FileAuditSink,
} from '@/lambdas/shared/audit';
import { OutboxAuditSink } from '@/lambdas/shared/audit-outbox';
import { createDb } from '@/lambdas/shared/db';
import { type LocalStreamReader, startLocalAuditShipper } from '@/local/stream-reader';
import { ensureTable, tableDefinition } from '@/local/table';
import { quietLogger } from '@/test/lambdas/tasks/harness';
import { ADMIN } from '@/test/support/api-event';
import { createTestTable, type TestTable, testDynamoDbEndpoint } from '@/test/support/dynamodb';
import { TEST_AWS_ENV } from '@/test/support/env';

let table: TestTable;
let streams: DynamoDBStreamsClient;
let root: string;
const shippers: LocalStreamReader[] = [];

beforeAll(async () => {
  table = await createTestTable();
  streams = new DynamoDBStreamsClient({
    endpoint: testDynamoDbEndpoint(),
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  root = mkdtempSync(join(tmpdir(), 'staxid-local-ship-'));
});
afterAll(async () => {
  await Promise.all(shippers.map((shipper) => shipper.stop()));
  streams.destroy();
  await table.drop();
  rmSync(root, { recursive: true, force: true });
});

async function start(sink: AuditSink): Promise<LocalStreamReader> {
  const shipper = await startLocalAuditShipper({
    dynamodb: table.client,
    streams,
    tableName: table.tableName,
    sink,
    logger: quietLogger,
    intervalMs: 50,
  });
  shippers.push(shipper);
  return shipper;
}

function record(type: string): Promise<AuditEvent> {
  const event = auditEvent({ type, actor: ADMIN, targets: [{ type: 'group', id: 'g-1' }] });
  return new OutboxAuditSink(createDb(table.tableName, table.client)).write(event).then(() => event);
}

function files(): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json'));
}

/** Fails every write while `down` is set, then delivers to the directory. */
class FlakySink implements AuditSink {
  down = true;
  private readonly files = new FileAuditSink(root);

  async write(event: AuditEvent): Promise<void> {
    if (this.down) throw new AuditWriteError(new Error('disk unavailable'));
    await this.files.write(event);
  }
}

describe('the local audit shipper', () => {
  it('delivers outbox events from the table stream to files laid out like the bucket, once', async () => {
    const flaky = new FlakySink();
    const shipper = await start(flaky);
    const first = await record('teams.CreateGroup');
    await shipper.flush();
    // The sink was down: nothing delivered, nothing lost.
    expect(files()).toEqual([]);

    flaky.down = false;
    const second = await record('teams.DeleteGroup');
    await shipper.flush();
    expect(files().sort()).toEqual([auditObjectKey(first), auditObjectKey(second)].sort());
    expect(JSON.parse(readFileSync(join(root, auditObjectKey(second)), 'utf8'))).toEqual(second);

    // A restarted shipper reads the stream from its start again and delivers nothing twice.
    const restarted = await start(new FileAuditSink(root));
    await restarted.flush();
    expect(files()).toHaveLength(2);
  });

  it('refuses a table without a stream, saying why', async () => {
    const { StreamSpecification: _stream, ...definition } = tableDefinition(`nostream-${table.tableName}`);
    await table.client.send(new CreateTableCommand(definition));
    try {
      await expect(
        startLocalAuditShipper({
          dynamodb: table.client,
          streams,
          tableName: definition.TableName ?? '',
          sink: new FileAuditSink(root),
          logger: quietLogger,
        }),
      ).rejects.toThrow(/has no stream: the audit shipper needs one/);
      // `npm start` over the state of an earlier version: ensureTable turns the stream on.
      expect((await ensureTable(table.client, definition.TableName ?? '')).StreamSpecification).toEqual({
        StreamEnabled: true,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      });
      await start(new FileAuditSink(root));
    } finally {
      await table.client.send(new DeleteTableCommand({ TableName: definition.TableName }));
    }
  });
});
