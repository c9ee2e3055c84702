import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { accountItem, type StoredAccount } from '@/lambdas/accounts/account-items';
import { type FanOutDeps, fanOut, STREAM_FILTER_PATTERNS } from '@/lambdas/revocation/fan-out';
import { createDb } from '@/lambdas/shared/db';
import type { Logger } from '@/lambdas/shared/logger';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const USER = '7d3c1a52-5f0e-4c61-9a7b-3e2f4d5c6b7a';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/222222222222/staxid-revocations.fifo';
/** 2026-11-30T11:00:00Z, as DynamoDB Streams gives it (epoch seconds). */
const STREAM_SECONDS = Date.parse('2026-11-30T11:00:00Z') / 1000;

const sqs = mockClient(SQSClient);
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let table: TestTable;
let deps: FanOutDeps;

function account(id: string, awsAccountId: string, overrides: Partial<StoredAccount> = {}) {
  return accountItem({
    id,
    awsAccountId,
    name: `account-${awsAccountId}`,
    awsName: `account-${awsAccountId}`,
    status: 'ACTIVE',
    accountRole: 'MEMBER',
    version: 1,
    ...overrides,
  });
}

beforeAll(async () => {
  table = await createTestTable();
  const items = [
    account('a1', '333333333333'),
    account('a2', '444444444444', { accountRole: 'SECURITY' }),
    account('a3', '555555555555', { status: 'SUSPENDED' }),
    account('a4', '666666666666', { accountRole: 'MANAGEMENT' }),
  ];
  for (const item of items) await table.doc.send(new PutCommand({ TableName: table.tableName, Item: item }));
  deps = {
    db: createDb(table.tableName, table.client),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: QUEUE_URL,
    clock: { now: () => new Date('2026-11-30T12:00:00Z') },
    logger: silent,
    retry: { sleep: async () => {} },
  };
});
afterAll(() => table.drop());
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

function userImage(status: string, firstName = 'Ada'): Record<string, AttributeValue> {
  return {
    PK: { S: `USER#${USER}` },
    SK: { S: 'USER' },
    Id: { S: USER },
    Email: { S: 'ada@example.com' },
    FirstName: { S: firstName },
    Status: { S: status },
    Version: { N: '3' },
  };
}

let sequence = 100;
function modify(
  oldImage: Record<string, AttributeValue> | undefined,
  newImage: Record<string, AttributeValue>,
  keys: Record<string, AttributeValue> = { PK: { S: `USER#${USER}` }, SK: { S: 'USER' } },
): DynamoDBRecord {
  sequence++;
  return {
    eventID: `e${sequence}`,
    eventName: oldImage ? 'MODIFY' : 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: STREAM_SECONDS,
      Keys: keys,
      ...(oldImage && { OldImage: oldImage }),
      NewImage: newImage,
      SequenceNumber: String(sequence),
      SizeBytes: 200,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:222222222222:table/staxid/stream/2026-11-30T00:00:00.000',
  };
}

function streamEvent(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

function sentEntries() {
  return sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

describe('fanOut', () => {
  test('disabling a user sends one revoke per ACTIVE member account, grouped by account', async () => {
    const response = await fanOut(deps, streamEvent(modify(userImage('ACTIVE'), userImage('DISABLED'))));

    expect(response.batchItemFailures).toEqual([]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.QueueUrl).toBe(QUEUE_URL);
    const entries = sentEntries();
    expect(entries.map((entry) => JSON.parse(entry.MessageBody ?? ''))).toEqual([
      { awsAccountId: '333333333333', userId: USER, action: 'revoke', at: '2026-11-30T11:00:00.000Z' },
      { awsAccountId: '444444444444', userId: USER, action: 'revoke', at: '2026-11-30T11:00:00.000Z' },
    ]);
    expect(entries.map((entry) => entry.MessageGroupId)).toEqual(['333333333333', '444444444444']);
    for (const entry of entries) expect(entry.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(entries.map((entry) => entry.MessageDeduplicationId)).size).toBe(2);
  });

  test('the same stream record gives the same deduplication ids (a retried batch is deduplicated)', async () => {
    const record = modify(userImage('ACTIVE'), userImage('DISABLED'));
    await fanOut(deps, streamEvent(record));
    const first = sentEntries().map((entry) => entry.MessageDeduplicationId);
    sqs.resetHistory();

    await fanOut(deps, streamEvent(record));

    expect(sentEntries().map((entry) => entry.MessageDeduplicationId)).toEqual(first);
  });

  test.each([
    ['re-activating a disabled user', 'DISABLED', 'ACTIVE', 'restore'],
    ['re-activating a disabled invited user', 'DISABLED', 'INVITED', 'restore'],
    ['deleting a user', 'ACTIVE', 'DELETED', 'revoke'],
    ['deleting a disabled user', 'DISABLED', 'DELETED', 'revoke'],
  ])('%s sends %s… → %s', async (_, before, after, action) => {
    await fanOut(deps, streamEvent(modify(userImage(before), userImage(after))));

    expect(sentEntries().map((entry) => JSON.parse(entry.MessageBody ?? '').action)).toEqual([
      action,
      action,
    ]);
  });

  test.each([
    ['a name edit of an active user', userImage('ACTIVE'), userImage('ACTIVE', 'Grace')],
    ['a name edit of a disabled user', userImage('DISABLED'), userImage('DISABLED', 'Grace')],
    ['INVITED → ACTIVE', userImage('INVITED'), userImage('ACTIVE')],
    ['a new user', undefined, userImage('INVITED')],
  ])('sends nothing for %s', async (_, before, after) => {
    const response = await fanOut(deps, streamEvent(modify(before, after)));

    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('sends nothing for an item that is not a user, even with a Status', async () => {
    const group = { PK: { S: 'GROUP#g1' }, SK: { S: 'GROUP' } };

    await fanOut(
      deps,
      streamEvent(
        modify({ ...group, Status: { S: 'ACTIVE' } }, { ...group, Status: { S: 'DELETED' } }, group),
      ),
    );

    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('retries entries SQS throttled, then succeeds', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', Code: 'ThrottlingException', SenderFault: false }],
      })
      .resolves({ Successful: [], Failed: [] });

    const response = await fanOut(deps, streamEvent(modify(userImage('ACTIVE'), userImage('DISABLED'))));

    expect(response.batchItemFailures).toEqual([]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Id)).toEqual(['1']);
  });

  test('a failure reports the failed record’s sequence number and stops there', async () => {
    const ok = modify(userImage('ACTIVE'), userImage('DISABLED'));
    const failing = modify(userImage('DISABLED'), userImage('ACTIVE'));
    const later = modify(userImage('ACTIVE'), userImage('DISABLED'));
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [] })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    const response = await fanOut(deps, streamEvent(ok, failing, later));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.dynamodb?.SequenceNumber }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });
});

describe('STREAM_FILTER_PATTERNS', () => {
  test('match only user items whose new status is DISABLED/DELETED or whose old status is DISABLED', () => {
    expect(STREAM_FILTER_PATTERNS).toEqual([
      {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: {
          Keys: { PK: { S: [{ prefix: 'USER#' }] }, SK: { S: ['USER'] } },
          NewImage: { Status: { S: ['DISABLED', 'DELETED'] } },
        },
      },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          Keys: { PK: { S: [{ prefix: 'USER#' }] }, SK: { S: ['USER'] } },
          OldImage: { Status: { S: ['DISABLED'] } },
        },
      },
    ]);
  });
});
