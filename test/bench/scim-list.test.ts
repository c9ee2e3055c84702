import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type CountingProxy, startCountingProxy } from '@/bench/counting-proxy';
import {
  indexedLookupViolation,
  type ScimListBench,
  type SeededScimUser,
  scimBenchSeed,
  scimBenchUserBody,
  scimFilterCases,
  scimUserItems,
  startScimListBench,
} from '@/bench/scim-list';
import { createScimHarness } from '@/test/lambdas/scim/harness';
import { createTestTable, type TestTable, testDynamoDbEndpoint } from '@/test/support/dynamodb';
import { TEST_AWS_ENV } from '@/test/support/env';

describe('indexedLookupViolation', () => {
  it.each([[{ Query: 1 }], [{ GetItem: 1 }]])('accepts one read: %j', (calls) => {
    expect(indexedLookupViolation(calls)).toBeUndefined();
  });

  it.each([
    [{ Scan: 1 }, 'Scan'],
    [{ Query: 2 }, '2 DynamoDB calls'],
    [{ GetItem: 1, Query: 1 }, '2 DynamoDB calls'],
    [{}, '0 DynamoDB calls'],
    [{ PutItem: 1 }, 'not a Query or GetItem'],
  ])('refuses %j', (calls, reason) => {
    expect(indexedLookupViolation(calls)).toContain(reason);
  });
});

describe('the seeded SCIM users', () => {
  it('are the items POST /scim/v2/Users writes for the same body', async () => {
    const h = await createScimHarness();
    try {
      const body = scimBenchUserBody(300);
      const created = await h.scim('POST', '/Users', { body });
      expect(created.status).toBe(201);
      const id = String(created.body.id);
      const items = await h.items();
      const written = items.filter((item) => item.PK === `USER#${id}` || item.UserId === id);
      const user = written.find((item) => item.PK === `USER#${id}`);
      expect(user).toBeDefined();
      const expected = scimUserItems(body, id, String(user?.CreatedBy), String(user?.CreatedTS));
      expect(written).toHaveLength(2);
      expect(written).toEqual(expect.arrayContaining(expected));
    } finally {
      await h.drop();
    }
  });
});

describe('the SCIM list benchmark over a small table', () => {
  const USERS = 300;
  let table: TestTable;
  let proxy: CountingProxy;
  let bench: ScimListBench;
  let users: SeededScimUser[];

  beforeAll(async () => {
    table = await createTestTable();
    const seed = scimBenchSeed(USERS, 'test', new Date().toISOString());
    users = seed.users;
    for (let offset = 0; offset < seed.items.length; offset += 25) {
      const requests = seed.items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } }));
      await table.doc.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }));
    }
    proxy = await startCountingProxy(testDynamoDbEndpoint());
    bench = await startScimListBench({
      endpoint: proxy.endpoint,
      region: TEST_AWS_ENV.AWS_REGION,
      tableName: table.tableName,
      onPhase: (phase) => proxy.setPhase(phase),
    });
  });
  afterAll(async () => {
    bench.close();
    await proxy.close();
    await table.drop();
  });

  function handlerCalls(): Record<string, number> {
    return Object.fromEntries(
      [...(proxy.counts().get('handler') ?? new Map())].map(([operation, count]) => [
        operation,
        count.requests,
      ]),
    );
  }

  it('answers every indexed eq with one read after the token check, and finds the user', async () => {
    const indexed = scimFilterCases(users).filter((filterCase) => filterCase.indexed);
    expect(indexed.map((filterCase) => filterCase.filter.split(' ')[0])).toEqual([
      'userName',
      'externalId',
      'id',
      'userName',
    ]);
    for (const filterCase of indexed) {
      proxy.reset();
      const outcome = await bench.list(filterCase);
      expect({ filter: filterCase.filter, outcome }).toEqual({
        filter: filterCase.filter,
        outcome: { totalResults: 1, itemsPerPage: 1, itemsRead: 1 },
      });
      expect(indexedLookupViolation(handlerCalls())).toBeUndefined();
      expect(proxy.counts().get('authorizer')?.get('GetItem')?.requests).toBe(1);
    }
  });

  it('reads every user, with Queries (no Scan), for a filter no index answers', async () => {
    const scanned = scimFilterCases(users).filter((filterCase) => !filterCase.indexed);
    expect(scanned.map((filterCase) => filterCase.expectedResults)).toEqual([0, 3]);
    for (const filterCase of scanned) {
      proxy.reset();
      const outcome = await bench.list(filterCase);
      expect(outcome.itemsRead).toBe(USERS);
      expect(outcome.itemsPerPage).toBe(filterCase.expectedResults);
      expect(Object.keys(handlerCalls())).toEqual(['Query']);
    }
  });

  it('fails a list whose totalResults is not the expected one', async () => {
    await expect(
      bench.list({ filter: 'userName eq "nobody@example.com"', indexed: true, expectedResults: 1 }),
    ).rejects.toThrow('totalResults 0, expected 1');
  });
});
