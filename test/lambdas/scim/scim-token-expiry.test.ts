import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_SCIM_TOKEN_DAYS } from '@/lambdas/scim/scim-tokens';
import { createScimHarness, type ScimHarness } from '@/test/lambdas/scim/harness';
import type { TestClock } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke } from '@/test/support/api-event';

const START = new Date('2026-12-01T08:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;

let h: ScimHarness;
let clock: TestClock;

beforeAll(async () => {
  h = await createScimHarness();
  clock = h.deps.clock as TestClock;
});
afterAll(() => h.drop());

beforeEach(async () => {
  clock.time = START;
  await h.deleteAllTokens();
});

interface CreatedToken {
  readonly Id: string;
  readonly Token: string;
  readonly CreatedTS: string;
  readonly ExpiresTS: string;
}

interface ListedToken {
  readonly Id: string;
  readonly ExpiresTS?: string;
  readonly Expired: boolean;
}

async function createToken(body?: unknown): Promise<CreatedToken> {
  const response = await invoke(h.tokens.create, {
    method: 'POST',
    caller: ADMIN,
    ...(body !== undefined && { body }),
  });
  expect(response.status).toBe(201);
  return response.body as CreatedToken;
}

async function listTokens(): Promise<ListedToken[]> {
  const response = await invoke(h.tokens.read, { caller: ADMIN });
  expect(response.status).toBe(200);
  return (response.body as { ScimTokens: ListedToken[] }).ScimTokens;
}

function secondsAfter(iso: string, seconds: number): Date {
  return new Date(Date.parse(iso) + seconds * 1000);
}

async function storedExpiry(id: string): Promise<unknown> {
  const items = await h.items();
  return items.find((item) => item.PK === `SCIMTOKEN#${id}`)?.ExpiresTS;
}

describe('SCIM token expiry', () => {
  it('expires a token 365 days after its creation by default, stored, returned and audited', async () => {
    const created = await createToken();
    const expected = new Date(START.getTime() + MAX_SCIM_TOKEN_DAYS * DAY_MS).toISOString();
    expect(MAX_SCIM_TOKEN_DAYS).toBe(365);
    expect(created.CreatedTS).toBe(START.toISOString());
    expect(created.ExpiresTS).toBe(expected);
    expect(await storedExpiry(created.Id)).toBe(expected);

    const event = h.audit.events.find(
      (candidate) =>
        candidate.staxEventType === 'scim.CreateScimToken' &&
        candidate.target.some((target) => target.id === created.Id),
    );
    expect(event?.detail).toEqual({ ExpiresTS: expected, ExpiresInDays: 365 });
  });

  it('takes ExpiresInDays from the body', async () => {
    const created = await createToken({ Description: 'Entra', ExpiresInDays: 30 });
    const expected = new Date(START.getTime() + 30 * DAY_MS).toISOString();
    expect(created.ExpiresTS).toBe(expected);
    expect(await storedExpiry(created.Id)).toBe(expected);
    expect((await createToken({ ExpiresInDays: 1 })).ExpiresTS).toBe(
      new Date(START.getTime() + DAY_MS).toISOString(),
    );
  });

  it.each([0, 366, 1.5, '30', null, -1])(
    'refuses ExpiresInDays %p with a 400 naming the field and the range, writing nothing',
    async (value) => {
      const itemsBefore = (await h.items()).length;
      const eventsBefore = h.audit.events.length;
      const response = await invoke(h.tokens.create, {
        method: 'POST',
        body: { ExpiresInDays: value },
        caller: ADMIN,
      });
      expect(response.status).toBe(400);
      expect((response.body as { Error: string }).Error).toMatch(
        /^Body\.ExpiresInDays.*whole number of days from 1 to 365/,
      );
      expect((await h.items()).length).toBe(itemsBefore);
      expect(h.audit.events.length).toBe(eventsBefore);
    },
  );

  it('authenticates a token until its expiry and refuses it, saying so, one second after', async () => {
    const created = await createToken({ ExpiresInDays: 1 });
    clock.time = new Date(created.ExpiresTS);
    expect((await h.scim('GET', '/Users', { token: created.Token })).status).toBe(200);

    clock.time = secondsAfter(created.ExpiresTS, 1);
    const expired = await h.scim('GET', '/Users', { token: created.Token });
    expect(expired.status).toBe(401);
    expect(expired.headers['WWW-Authenticate']).toMatch(/^Bearer/);
    expect(expired.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '401',
    });
    expect(expired.body.detail).toContain(`expired on ${created.ExpiresTS}`);
    expect(expired.body.detail).toMatch(/creates a new one in staxid.*provisioning settings/);
  });

  it('answers a forged secret of an expired token as any bad token: its expiry is not revealed', async () => {
    const created = await createToken({ ExpiresInDays: 1 });
    clock.time = secondsAfter(created.ExpiresTS, 1);
    const forged = `${created.Token.slice(0, -1)}${created.Token.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = created.Token.replace(created.Id, '0badc0de-0000-4000-8000-000000000000');

    const forgedResponse = await h.scim('GET', '/Users', { token: forged });
    const unknownResponse = await h.scim('GET', '/Users', { token: unknownId });
    expect(forgedResponse.status).toBe(401);
    expect(forgedResponse.body.detail).not.toMatch(/expired/);
    expect(forgedResponse.body).toEqual(unknownResponse.body);
  });

  it('lists whether each token has expired, by the service clock', async () => {
    const shortLived = await createToken({ ExpiresInDays: 1 });
    clock.time = secondsAfter(START.toISOString(), 60);
    const longLived = await createToken();
    expect(await listTokens()).toEqual([
      expect.objectContaining({ Id: shortLived.Id, ExpiresTS: shortLived.ExpiresTS, Expired: false }),
      expect.objectContaining({ Id: longLived.Id, ExpiresTS: longLived.ExpiresTS, Expired: false }),
    ]);

    clock.time = secondsAfter(shortLived.ExpiresTS, 1);
    expect(await listTokens()).toEqual([
      expect.objectContaining({ Id: shortLived.Id, Expired: true }),
      expect.objectContaining({ Id: longLived.Id, Expired: false }),
    ]);
  });

  it('counts expired tokens toward the limit and names them in the refusal', async () => {
    const shortLived = await createToken({ ExpiresInDays: 1 });
    const longLived = await createToken();
    clock.time = secondsAfter(shortLived.ExpiresTS, 1);

    const third = await invoke(h.tokens.create, { method: 'POST', caller: ADMIN });
    expect(third.status).toBe(400);
    const message = (third.body as { Error: string }).Error;
    expect(message).toMatch(/already 2 active SCIM tokens.*delete one/);
    expect(message).toContain(`${shortLived.Id} (expired on ${shortLived.ExpiresTS})`);
    expect(message).not.toContain(longLived.Id);

    await invoke(h.tokens.remove, { method: 'DELETE', pathParameters: { id: shortLived.Id }, caller: ADMIN });
    expect((await invoke(h.tokens.create, { method: 'POST', caller: ADMIN })).status).toBe(201);
  });

  it('expires a token written before expiry existed (no ExpiresTS) a year after it was created, like a default one', async () => {
    const id = '1e9ac000-0000-4000-8000-000000000001';
    const secret = 'L'.repeat(40);
    const createdTS = '2025-01-01T00:00:00.000Z';
    await h.table.doc.send(
      new PutCommand({
        TableName: h.table.tableName,
        Item: {
          PK: `SCIMTOKEN#${id}`,
          SK: 'SCIMTOKEN',
          GSI1PK: 'SCIMTOKEN',
          GSI1SK: `${createdTS}#${id}`,
          Id: id,
          CreatedBy: ADMIN.id,
          CreatedTS: createdTS,
          SecretHash: await h.deps.hasher.hash(secret),
        },
      }),
    );
    await h.table.doc.send(
      new UpdateCommand({
        TableName: h.table.tableName,
        Key: { PK: 'SCIMTOKENS', SK: 'COUNTER' },
        UpdateExpression: 'ADD ActiveCount :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );

    const expiresTS = '2026-01-01T00:00:00.000Z';
    clock.time = new Date(expiresTS);
    expect((await h.scim('GET', '/Users', { token: `scim_${id}_${secret}` })).status).toBe(200);
    expect(await listTokens()).toEqual([
      { Id: id, CreatedBy: ADMIN.id, CreatedTS: createdTS, ExpiresTS: expiresTS, Expired: false },
    ]);

    clock.time = new Date(Date.parse(expiresTS) + 1000);
    const refused = await h.scim('GET', '/Users', { token: `scim_${id}_${secret}` });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain(`expired on ${expiresTS}`);
    expect(await listTokens()).toEqual([
      { Id: id, CreatedBy: ADMIN.id, CreatedTS: createdTS, ExpiresTS: expiresTS, Expired: true },
    ]);
  });
});
