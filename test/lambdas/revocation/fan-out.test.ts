import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type FanOutDeps, fanOut, STREAM_FILTER_PATTERNS } from '@/lambdas/revocation/fan-out';
import { createDb } from '@/lambdas/shared/db';
import type { Logger } from '@/lambdas/shared/logger';
import { memberAccountItem } from '@/test/lambdas/revocation/account-items';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const USER = '7d3c1a52-5f0e-4c61-9a7b-3e2f4d5c6b7a';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/222222222222/staxid-revocations.fifo';
/** 2026-11-30T11:00:00Z, as DynamoDB Streams gives it (epoch seconds). */
const STREAM_SECONDS = Date.parse('2026-11-30T11:00:00Z') / 1000;

const sqs = mockClient(SQSClient);
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let table: TestTable;
let deps: FanOutDeps;

beforeAll(async () => {
  table = await createTestTable();
  const items = [
    memberAccountItem('a1', '333333333333'),
    memberAccountItem('a2', '444444444444', { accountRole: 'SECURITY' }),
    memberAccountItem('a3', '555555555555', { status: 'SUSPENDED' }),
    memberAccountItem('a4', '666666666666', { accountRole: 'MANAGEMENT' }),
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

const ENGINEER = '2f9e8d7c-6b5a-4c3d-8e1f-0a9b8c7d6e5f';
const GRANT = 'c0ffee00-1111-4222-8333-444455556666';
const TYPE_IN_SCOPE = 'type-in-scope';
const OTHER_TYPE = 'other-type';

function grantImage(
  status: string,
  scope: { accountIds?: string[]; accountTypeIds?: string[] } = {},
): Record<string, AttributeValue> {
  const list = (ids: readonly string[]): AttributeValue => ({ L: ids.map((id) => ({ S: id })) });
  return {
    PK: { S: `SUPPORTGRANT#${GRANT}` },
    SK: { S: 'SUPPORTGRANT' },
    Id: { S: GRANT },
    UserId: { S: ENGINEER },
    ScopeAccountIds: list(scope.accountIds ?? ['g1']),
    ScopeAccountTypeIds: list(scope.accountTypeIds ?? [TYPE_IN_SCOPE]),
    RoleName: { S: 'staxid-readonly-role' },
    Status: { S: status },
    Version: { N: '2' },
  };
}

const GRANT_KEYS = { PK: { S: `SUPPORTGRANT#${GRANT}` }, SK: { S: 'SUPPORTGRANT' } };

function grantChange(
  before: string,
  after: string,
  scope?: { accountIds?: string[]; accountTypeIds?: string[] },
): DynamoDBRecord {
  return modify(grantImage(before, scope), grantImage(after, scope), GRANT_KEYS);
}

describe('fanOut of a support grant revoked early', () => {
  let grantTable: TestTable;
  let grantDeps: FanOutDeps;

  beforeAll(async () => {
    grantTable = await createTestTable();
    const items = [
      memberAccountItem('g1', '111111111111'),
      memberAccountItem('g2', '121212121212', { accountType: TYPE_IN_SCOPE }),
      memberAccountItem('g3', '131313131313', { accountType: TYPE_IN_SCOPE, status: 'SUSPENDED' }),
      memberAccountItem('g4', '141414141414', { accountType: OTHER_TYPE }),
      memberAccountItem('g5', '151515151515'),
      memberAccountItem('g6', '161616161616', { accountType: TYPE_IN_SCOPE, accountRole: 'MANAGEMENT' }),
    ];
    for (const item of items) {
      await grantTable.doc.send(new PutCommand({ TableName: grantTable.tableName, Item: item }));
    }
    grantDeps = { ...deps, db: createDb(grantTable.tableName, grantTable.client) };
  });
  afterAll(() => grantTable.drop());

  test('ACTIVE → REVOKED revokes the engineer in exactly the ACTIVE member accounts of the scope, at the record’s time', async () => {
    const response = await fanOut(grantDeps, streamEvent(grantChange('ACTIVE', 'REVOKED')));

    expect(response.batchItemFailures).toEqual([]);
    const entries = sentEntries();
    expect(entries.map((entry) => JSON.parse(entry.MessageBody ?? ''))).toEqual(
      expect.arrayContaining([
        { awsAccountId: '111111111111', userId: ENGINEER, action: 'revoke', at: '2026-11-30T11:00:00.000Z' },
        { awsAccountId: '121212121212', userId: ENGINEER, action: 'revoke', at: '2026-11-30T11:00:00.000Z' },
      ]),
    );
    expect(entries).toHaveLength(2);
    expect(entries.map((entry) => entry.MessageGroupId).sort()).toEqual(['111111111111', '121212121212']);
  });

  test('a scope naming only accounts reaches only those accounts', async () => {
    await fanOut(
      grantDeps,
      streamEvent(grantChange('ACTIVE', 'REVOKED', { accountIds: ['g5'], accountTypeIds: [] })),
    );

    expect(sentEntries().map((entry) => entry.MessageGroupId)).toEqual(['151515151515']);
  });

  test('its deduplication ids differ from those of a user change with the same sequence number', async () => {
    const grant = grantChange('ACTIVE', 'REVOKED', { accountIds: ['g1'], accountTypeIds: [] });
    const user = modify(userImage('ACTIVE'), { ...userImage('DISABLED'), Id: { S: ENGINEER } });
    const sameSequence = {
      ...user,
      dynamodb: { ...user.dynamodb, SequenceNumber: grant.dynamodb?.SequenceNumber },
    };

    await fanOut(grantDeps, streamEvent(grant, sameSequence));

    const ids = sentEntries()
      .filter((entry) => entry.MessageGroupId === '111111111111')
      .map((entry) => entry.MessageDeduplicationId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  test.each([
    ['revoking a PENDING grant', 'PENDING', 'REVOKED'],
    ['approving a grant', 'PENDING', 'ACTIVE'],
    ['an edit of a REVOKED grant', 'REVOKED', 'REVOKED'],
    ['an edit of an ACTIVE grant', 'ACTIVE', 'ACTIVE'],
  ])('sends nothing for %s', async (_, before, after) => {
    const response = await fanOut(grantDeps, streamEvent(grantChange(before, after)));

    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});

/**
 * The subset of the event filter syntax STREAM_FILTER_PATTERNS uses: an array of allowed
 * values, `{prefix}`, and nested objects (every key must match).
 */
function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) =>
      typeof allowed === 'object' && allowed !== null && 'prefix' in allowed
        ? typeof value === 'string' && value.startsWith(String(allowed.prefix))
        : allowed === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matchesPattern(inner, (value as Record<string, unknown>)[key]),
  );
}

function passesFilter(record: DynamoDBRecord): boolean {
  return STREAM_FILTER_PATTERNS.some((pattern) => matchesPattern(pattern, record));
}

describe('STREAM_FILTER_PATTERNS', () => {
  test('match user items whose new status is DISABLED/DELETED or whose old status is DISABLED, and grants revoked while ACTIVE', () => {
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
      {
        eventName: ['MODIFY'],
        dynamodb: {
          Keys: { PK: { S: [{ prefix: 'SUPPORTGRANT#' }] }, SK: { S: ['SUPPORTGRANT'] } },
          OldImage: { Status: { S: ['ACTIVE'] } },
          NewImage: { Status: { S: ['REVOKED'] } },
        },
      },
    ]);
  });

  test.each([
    ['a support grant revoked while ACTIVE', true, () => grantChange('ACTIVE', 'REVOKED')],
    ['a user disabled', true, () => modify(userImage('ACTIVE'), userImage('DISABLED'))],
    ['a user re-activated', true, () => modify(userImage('DISABLED'), userImage('ACTIVE'))],
    ['a support grant revoked while PENDING', false, () => grantChange('PENDING', 'REVOKED')],
    ['a support grant approved', false, () => grantChange('PENDING', 'ACTIVE')],
    ['an edit of a REVOKED grant', false, () => grantChange('REVOKED', 'REVOKED')],
    ['a user renamed', false, () => modify(userImage('ACTIVE'), userImage('ACTIVE', 'Grace'))],
    [
      'a REVOKED item that is not a grant',
      false,
      () => modify(grantImage('ACTIVE'), grantImage('REVOKED'), { PK: { S: 'GROUP#g' }, SK: { S: 'GROUP' } }),
    ],
  ])('%s passes the filter: %s', (_, passes, record) => {
    expect(passesFilter(record())).toBe(passes);
  });
});
