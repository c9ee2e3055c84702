import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_ACTIVE_SCIM_TOKENS } from '@/lambdas/scim/scim-tokens';
import { createScimHarness, type ScimHarness } from '@/test/lambdas/scim/harness';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';

let h: ScimHarness;

beforeAll(async () => {
  h = await createScimHarness();
});
afterAll(() => h.drop());

beforeEach(() => h.deleteAllTokens());

describe('SCIM tokens', () => {
  it('returns the token once, stores only its keyed hash, and lists it without a secret', async () => {
    const created = await invoke(h.tokens.create, {
      method: 'POST',
      body: { Description: 'Okta' },
      caller: ADMIN,
    });
    expect(created.status).toBe(201);
    const { Id, Token, CreatedTS, ExpiresTS } = created.body as {
      Id: string;
      Token: string;
      CreatedTS: string;
      ExpiresTS: string;
    };
    expect(Token).toMatch(new RegExp(`^scim_${Id}_[A-Za-z0-9]{40}$`));
    expect(Date.parse(CreatedTS)).not.toBeNaN();

    const { Item: item } = await h.table.doc.send(
      new GetCommand({ TableName: h.table.tableName, Key: { PK: `SCIMTOKEN#${Id}`, SK: 'SCIMTOKEN' } }),
    );
    const secret = Token.split('_')[2] ?? '';
    expect(item?.SecretHash).toMatch(/^v1\./);
    expect(JSON.stringify(item)).not.toContain(secret);

    const listed = await invoke(h.tokens.read, { caller: ADMIN });
    expect(listed.body).toEqual({
      ScimTokens: [{ Id, Description: 'Okta', CreatedBy: ADMIN.id, CreatedTS, ExpiresTS, Expired: false }],
    });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(h.audit.events.map((event) => event.staxEventType)).toContain('scim.CreateScimToken');
  });

  it('allows at most two active tokens: a third is refused until one is deleted', async () => {
    const first = await h.newToken();
    await h.newToken();
    const third = await invoke(h.tokens.create, { method: 'POST', caller: ADMIN });
    expect(third.status).toBe(400);
    expect((third.body as { Error: string }).Error).toMatch(/already 2 active SCIM tokens.*delete one/);
    expect(MAX_ACTIVE_SCIM_TOKENS).toBe(2);

    const firstId = first.split('_')[1] ?? '';
    await invoke(h.tokens.remove, { method: 'DELETE', pathParameters: { id: firstId }, caller: ADMIN });
    expect((await invoke(h.tokens.create, { method: 'POST', caller: ADMIN })).status).toBe(201);
  });

  it('refuses two racing creates beyond the limit (the counter is in the transaction)', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => invoke(h.tokens.create, { method: 'POST', caller: ADMIN })),
    );
    expect(results.filter((result) => result.status === 201)).toHaveLength(2);
    expect(results.filter((result) => result.status === 400)).toHaveLength(2);
  });

  it('authenticates SCIM requests with a live token only: a deleted, forged or missing one gets 401', async () => {
    const token = await h.newToken();
    expect((await h.scim('GET', '/Users', { token })).status).toBe(200);

    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [forged, 'not-a-token', null]) {
      const response = await h.scim('GET', '/Users', { token: bad });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '401',
      });
      expect(response.headers['WWW-Authenticate']).toMatch(/^Bearer/);
    }

    await invoke(h.tokens.remove, {
      method: 'DELETE',
      pathParameters: { id: token.split('_')[1] ?? '' },
      caller: ADMIN,
    });
    expect((await h.scim('GET', '/Users', { token })).status).toBe(401);
    expect(h.audit.events.map((event) => event.staxEventType)).toContain('scim.DeleteScimToken');
  });

  it('is for Admins only', async () => {
    for (const caller of [USER, READONLY]) {
      expect((await invoke(h.tokens.create, { method: 'POST', caller })).status).toBe(403);
      expect((await invoke(h.tokens.read, { caller })).status).toBe(403);
    }
    expect((await invoke(h.tokens.create, { method: 'POST', caller: API_ADMIN })).status).toBe(201);
  });

  it('names the bad field of a create body, and refuses to delete an unknown token', async () => {
    const bad = await invoke(h.tokens.create, { method: 'POST', body: { Name: 'x' }, caller: ADMIN });
    expect(bad.status).toBe(400);
    expect((bad.body as { Error: string }).Error).toMatch(/^Body.Name/);
    const unknown = await invoke(h.tokens.remove, {
      method: 'DELETE',
      pathParameters: { id: '0badc0de-0000-4000-8000-000000000000' },
      caller: ADMIN,
    });
    expect(unknown.status).toBe(404);
    const malformed = await invoke(h.tokens.remove, {
      method: 'DELETE',
      pathParameters: { id: 'x' },
      caller: ADMIN,
    });
    expect(malformed.status).toBe(400);
  });
});
