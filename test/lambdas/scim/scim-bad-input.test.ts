import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { AUTH_ORIGIN } from '@/lambdas/users/user-model';
import { createScimHarness, type ScimHarness } from '@/test/lambdas/scim/harness';

let h: ScimHarness;
let userId = '';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

beforeAll(async () => {
  h = await createScimHarness();
  for (const name of ['ada', 'bob', 'cyd']) {
    const created = await h.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: `${name}@example.com`,
        name: { givenName: name, familyName: 'Test' },
      },
    });
    expect(created.status).toBe(201);
    if (name === 'ada') userId = String(created.body.id);
  }
});
afterAll(() => h.drop());

function patch(operations: unknown) {
  return h.scim('PATCH', `/Users/${userId}`, { body: { schemas: [PATCH_OP], Operations: operations } });
}

describe('SCIM bad input', () => {
  it.each([
    [
      'a malformed filter',
      () => h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`),
      'invalidFilter',
    ],
    [
      'a malformed PATCH path',
      () => patch([{ op: 'replace', path: 'emails[type eq', value: 'x' }]),
      'invalidPath',
    ],
    ['an unknown PATCH op', () => patch([{ op: 'move', path: 'active', value: false }]), 'invalidSyntax'],
    ['a remove without path', () => patch([{ op: 'remove' }]), 'noTarget'],
    ['a change of id', () => patch([{ op: 'replace', path: 'id', value: 'other' }]), 'mutability'],
    [
      'an active that is no boolean',
      () => patch([{ op: 'replace', path: 'active', value: 'maybe' }]),
      'invalidValue',
    ],
    [
      'an unknown extension',
      () => patch([{ op: 'add', path: 'urn:example:ext:foo', value: 'x' }]),
      'invalidPath',
    ],
    [
      'a userName that is no email',
      () => h.scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'jdoe' } }),
      'invalidValue',
    ],
    ['a body that is no JSON', () => h.scim('POST', '/Users', { body: '{"userName": ' }), 'invalidSyntax'],
    ['a count that is no number', () => h.scim('GET', '/Users?count=ten'), 'invalidValue'],
    [
      'a group of more than 100 members',
      () =>
        h.scim('POST', '/Groups', {
          body: {
            displayName: 'Too big',
            members: Array.from({ length: 101 }, (_, index) => ({
              value: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
            })),
          },
        }),
      'tooMany',
    ],
    [
      'a member that is not a user',
      () =>
        h.scim('POST', '/Groups', {
          body: { displayName: 'Ghosts', members: [{ value: '0badc0de-0000-4000-8000-000000000000' }] },
        }),
      'invalidValue',
    ],
  ])('refuses %s with 400 and its scimType', async (_name, send, scimType) => {
    const before = await h.items();
    const response = await send();
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType,
    });
    expect(String(response.body.detail).length).toBeGreaterThan(10);
    // Refused requests write nothing (the token's own items aside, nothing changes).
    expect(await h.items()).toEqual(before);
  });

  it('changes nothing when the audit event cannot be written (503)', async () => {
    const before = await h.items();
    h.audit.failWith = new Error('outbox unavailable');
    try {
      const refused = await h.scim('POST', '/Users', {
        body: { schemas: [USER_SCHEMA], userName: 'late@example.com' },
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({
        status: '503',
        detail: expect.stringMatching(/Nothing was changed/),
      });
    } finally {
      h.audit.failWith = undefined;
    }
    expect(await h.items()).toEqual(before);
  });

  it('answers 404, 405 and 413 as SCIM errors', async () => {
    expect((await h.scim('GET', '/Users/0badc0de-0000-4000-8000-000000000000')).body).toMatchObject({
      status: '404',
    });
    expect((await h.scim('GET', '/Nothing')).status).toBe(404);
    expect((await h.scim('POST', `/Users/${userId}`, { body: {} })).status).toBe(405);
    const huge = await h.scim('POST', '/Users', {
      body: { userName: 'x@example.com', title: 'x'.repeat(70_000) },
    });
    expect(huge.status).toBe(413);
  });

  it.each([
    ['GET', '/Users/%E0%A4%A'],
    ['PATCH', '/Groups/%ZZ'],
    ['DELETE', '/Users/%'],
  ])('answers %s %s (malformed percent-encoding) with a SCIM 404, not a 500', async (method, path) => {
    const before = await h.items();
    const response = await h.scim(
      method,
      path,
      method === 'PATCH' ? { body: { schemas: [PATCH_OP], Operations: [] } } : {},
    );
    expect(response).toMatchObject({
      status: 404,
      body: { status: '404', detail: expect.stringContaining('percent-encoding is malformed') },
    });
    expect(await h.items()).toEqual(before);
  });

  it('refuses a member that is not a SCIM user (a local user of staxid), changing nothing', async () => {
    const localUserId = newId();
    await h.table.doc.send(
      new PutCommand({
        TableName: h.table.tableName,
        Item: {
          ...entityKey(ENTITY.user, localUserId),
          Id: localUserId,
          Email: 'local.admin@example.com',
          FirstName: 'Local',
          LastName: 'Admin',
          Role: 'customer_user',
          Status: 'ACTIVE',
          AuthOrigin: AUTH_ORIGIN.local,
          Version: 1,
        },
      }),
    );
    const group = await h.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Scim Only' },
    });
    expect(group.status).toBe(201);
    const before = await h.items();

    const created = await h.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Smuggler', members: [{ value: localUserId }] },
    });
    const added = await h.scim('PATCH', `/Groups/${String(group.body.id)}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: localUserId }] }],
      },
    });
    for (const response of [created, added]) {
      expect(response).toMatchObject({
        status: 400,
        body: { scimType: 'invalidValue', detail: expect.stringContaining(`user ${localUserId}`) },
      });
    }
    expect(await h.items()).toEqual(before);
  });

  it('pages lists and projects attributes', async () => {
    const page = await h.scim('GET', '/Users?startIndex=2&count=1&attributes=userName,name.givenName');
    expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    const [resource] = page.body.Resources ?? [];
    expect(Object.keys(resource ?? {}).sort()).toEqual(['id', 'meta', 'name', 'schemas', 'userName']);
    expect(resource?.name).toEqual({ givenName: 'bob' });
    const filtered = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName sw "c" or name.givenName eq "ADA"')}`,
    );
    expect(filtered.body.Resources?.map((user) => user.userName)).toEqual([
      'ada@example.com',
      'cyd@example.com',
    ]);
  });

  it('looks users up by id, userName and externalId with one DynamoDB request (no Scan)', async () => {
    const send = jest.spyOn(h.deps.db.doc, 'send');
    try {
      for (const filter of [`id eq "${userId}"`, 'userName eq "ada@example.com"', 'externalId eq "none"']) {
        send.mockClear();
        const response = await h.scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        expect(response.status).toBe(200);
        // The token's GetItem, then the one lookup.
        const commands = send.mock.calls.map(([command]) => command.constructor.name);
        expect(commands).toHaveLength(2);
        expect(commands[0]).toBe('GetCommand');
        expect(['GetCommand', 'QueryCommand']).toContain(commands[1]);
      }
    } finally {
      send.mockRestore();
    }
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    const config = await h.scim('GET', '/ServiceProviderConfig');
    expect(config.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
    const types = await h.scim('GET', '/ResourceTypes');
    expect(types.body.Resources?.map((type) => type.id)).toEqual(['User', 'Group']);
    const schema = await h.scim('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group');
    expect(schema.body.attributes).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'members' })]),
    );
  });

  it('never answers 500 to random PATCH bodies', async () => {
    const path = fc.oneof(
      fc.constantFrom(
        'active',
        'name.givenName',
        'emails[type eq "work"].value',
        'members',
        'roles',
        'id',
        'userName',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
      ),
      fc.string({ maxLength: 30 }),
    );
    const operation = fc.record(
      {
        op: fc.constantFrom('add', 'Add', 'REPLACE', 'remove', 'copy', 3),
        path,
        value: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['op'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.array(operation, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
        async (operations) => {
          const response = await patch(operations);
          expect(response.status).toBeLessThan(500);
          expect(response.body).not.toHaveProperty('status', '500');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('finds nothing for an empty userName or displayName (an empty key is no DynamoDB key condition)', async () => {
    for (const query of ['/Users?filter=userName eq ""', '/Groups?filter=displayName eq ""']) {
      const response = await h.scim('GET', query.replace(/ /g, '%20').replace(/"/g, '%22'));
      expect(response.status).toBe(200);
      expect(response.body.totalResults).toBe(0);
    }
  });

  it('never answers 500 to random group PATCH bodies', async () => {
    const group = await h.scim('POST', '/Groups', {
      body: { displayName: 'Fuzzed', members: [{ value: userId }] },
    });
    const groupId = String(group.body.id);
    const operation = fc.record({
      op: fc.constantFrom('add', 'Add', 'replace', 'Remove'),
      path: fc.oneof(
        fc.constantFrom(
          'members',
          `members[value eq "${userId}"]`,
          'displayName',
          'externalId',
          'members.value',
        ),
        fc.string({ maxLength: 20 }),
      ),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constant([{ value: userId }]),
        fc.string({ minLength: 3, maxLength: 10 }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 3 }), async (operations) => {
        const response = await h.scim('PATCH', `/Groups/${groupId}`, {
          body: { schemas: [PATCH_OP], Operations: operations },
        });
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('never answers 500 to random filters', async () => {
    const filter = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(
          fc.constantFrom(
            'userName',
            'displayName',
            'externalId',
            'id',
            'name.givenName',
            'emails[type eq "work"]',
            'meta.version',
          ),
          fc.constantFrom('eq', 'co', 'gt', 'pr', 'zz'),
          fc.string({ maxLength: 8 }),
        )
        .map(([attribute, op, value]) => `${attribute} ${op} ${JSON.stringify(value)}`),
    );
    await fc.assert(
      fc.asyncProperty(filter, fc.constantFrom('/Users', '/Groups'), async (text, resource) => {
        const response = await h.scim('GET', `${resource}?filter=${encodeURIComponent(text)}`);
        expect([200, 400]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
  });
});
