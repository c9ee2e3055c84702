import { createPermissionSetHandler } from '@/lambdas/permission-sets/create-permission-set';
import { handler as getApiDocument } from '@/lambdas/permission-sets/get-api-document';
import { handler as listManagedPolicies } from '@/lambdas/permission-sets/list-aws-managed-policies';
import { AWS_MANAGED_POLICIES } from '@/lambdas/permission-sets/managed-policies';
import { AuditWriteError } from '@/lambdas/shared/errors';
import spec from '@/spec/stax-permission-sets-20210321.openapi.json';
import { createFixture, type Fixture, POLICY, specErrors } from '@/test/lambdas/permission-sets/support';
import { ADMIN, API_ADMIN, invoke, READONLY, USER } from '@/test/support/api-event';

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());

function create(body: unknown, caller = ADMIN) {
  return invoke(f.handlers.create, { method: 'POST', body, caller });
}

function errorOf(response: { body: unknown }): { Code: number; Message: string } {
  expect(specErrors('ErrorResponse', response.body)).toEqual([]);
  return (response.body as { Error: { Code: number; Message: string } }).Error;
}

describe('CreatePermissionSet', () => {
  it('creates a permission set with the defaults filled in, valid against the spec, and audits it', async () => {
    const response = await create({
      Name: 'DataReader',
      AWSManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    });
    expect(response.status).toBe(201);
    expect(specErrors('PermissionSetRecord', response.body)).toEqual([]);
    expect(response.body).toMatchObject({
      Name: 'DataReader',
      MaxSessionDuration: 3600,
      Status: 'ACTIVE',
      InlinePolicies: [],
      CreatedBy: ADMIN.id,
    });
    const id = (response.body as { Id: string }).Id;
    expect(
      f.h.audit.events.some(
        (event) => event.staxEventType === 'permissionSets.CreatePermissionSet' && event.target[0]?.id === id,
      ),
    ).toBe(true);
    const read = await invoke(f.handlers.get, {
      caller: READONLY,
      pathParameters: { permission_set_id: id },
    });
    expect(read.body).toEqual(response.body);
  });

  it('refuses a name already taken, in any case, with 409 in the spec error body', async () => {
    expect((await create({ Name: 'Auditor' })).status).toBe(201);
    const response = await create({ Name: 'AUDITOR' });
    expect(response.status).toBe(409);
    expect(errorOf(response)).toMatchObject({ Code: 409, Message: expect.stringContaining('Body.Name') });
  });

  it('creates one of two parallel permission sets of the same name and answers 409 to the other', async () => {
    const responses = await Promise.all([create({ Name: 'Racer' }), create({ Name: 'racer' })]);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    const listed = await invoke(f.handlers.list, { caller: READONLY });
    const names = (listed.body as { PermissionSets: { Name: string }[] }).PermissionSets.map(
      (set) => set.Name,
    );
    expect(names.filter((name) => name.toLowerCase() === 'racer')).toHaveLength(1);
  });

  const tooLong = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: Array.from({ length: 900 }, (_, i) => `s3:Action${i}`), Resource: '*' },
    ],
  });
  it.each([
    [
      'an oversized inline policy',
      { InlinePolicies: [{ Name: 'big', Policy: tooLong }] },
      'Body.InlinePolicies[0].Policy',
      'at most 10240',
    ],
    [
      'an inline policy that is not JSON',
      { InlinePolicies: [{ Name: 'p', Policy: '{"Version":' }] },
      'Body.InlinePolicies[0].Policy',
      'not valid JSON',
    ],
    [
      'a statement without Effect',
      {
        InlinePolicies: [
          { Name: 'p', Policy: '{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}' },
        ],
      },
      'Body.InlinePolicies[0].Policy.Statement[0].Effect',
      'Allow',
    ],
    [
      'a statement with Action and NotAction',
      {
        InlinePolicies: [
          {
            Name: 'p',
            Policy:
              '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}',
          },
        ],
      },
      'Body.InlinePolicies[0].Policy.Statement[0].Action',
      'exactly one',
    ],
    [
      'an unknown managed policy ARN',
      { AWSManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/MadeUpAccess' }] },
      'Body.AWSManagedPolicies[0].PolicyArn',
      'aws-managed-policies',
    ],
    ['a reserved name (stax)', { Name: 'StaxAdmin' }, 'Body.Name', 'reserved'],
    ['a reserved name (idam)', { Name: 'idam-role' }, 'Body.Name', 'reserved'],
    ['a name with a blank', { Name: 'my role' }, 'Body.Name', 'letters, digits'],
    ['a name of 65 characters', { Name: 'a'.repeat(65) }, 'Body.Name', '1 to 64'],
    [
      'a description over 1000 characters',
      { Description: 'd'.repeat(1001) },
      'Body.Description',
      'at most 1000',
    ],
    [
      '11 managed policies',
      { AWSManagedPolicies: AWS_MANAGED_POLICIES.slice(0, 11).map((p) => ({ PolicyArn: p.Arn })) },
      'Body.AWSManagedPolicies',
      'at most 10',
    ],
    [
      '11 inline policies',
      { InlinePolicies: Array.from({ length: 11 }, (_, i) => ({ Name: `p${i}`, Policy: POLICY })) },
      'Body.InlinePolicies',
      'at most 10',
    ],
    [
      "an inline policy named like staxid's session-revocation deny",
      { InlinePolicies: [{ Name: 'Staxid-Revoked-Sessions', Policy: POLICY }] },
      'Body.InlinePolicies[0].Name',
      'must not start with "staxid"',
    ],
    ['a session of 3599 seconds', { MaxSessionDuration: 3599 }, 'Body.MaxSessionDuration', '3600'],
    ['a session of 43201 seconds', { MaxSessionDuration: 43201 }, 'Body.MaxSessionDuration', '43200'],
    [
      '46 tags',
      { Tags: Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, 'v'])) },
      'Body.Tags',
      'at most 45',
    ],
    ['a tag key of 101 characters', { Tags: { ['k'.repeat(101)]: 'v' } }, 'Body.Tags', '1 to 100'],
    ['a tag value of 257 characters', { Tags: { k: 'v'.repeat(257) } }, 'Body.Tags.k', 'at most 256'],
    ['an unknown field', { Colour: 'blue' }, 'Body.Colour', 'not a known field'],
  ])('refuses %s with a 400 naming the field, writing nothing', async (_, fields, field, hint) => {
    const before = await f.h.snapshot();
    const response = await create({ Name: 'Valid', ...fields });
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error.Code).toBe(400);
    expect(error.Message.startsWith(`${field}:`)).toBe(true);
    expect(error.Message).toContain(hint);
    expect(await f.h.snapshot()).toEqual(before);
  });

  it('changes nothing when its audit event cannot be written (503 in the spec error body)', async () => {
    const failing = createPermissionSetHandler(() => ({
      ...f.deps(),
      audit: { write: () => Promise.reject(new AuditWriteError(new Error('bucket down'))) },
    }));
    const before = await f.h.snapshot();
    const response = await invoke(failing, { method: 'POST', caller: ADMIN, body: { Name: 'Unaudited' } });
    expect(response.status).toBe(503);
    expect(errorOf(response)).toMatchObject({
      Code: 503,
      Message: expect.stringContaining('Nothing was changed'),
    });
    expect(await f.h.snapshot()).toEqual(before);
  });

  it('refuses a body that is not JSON, and a missing body, with 400', async () => {
    expect(errorOf(await create('{"Name":')).Message).toMatch(/^Body: is not valid JSON/);
    expect((await invoke(f.handlers.create, { method: 'POST', caller: ADMIN })).status).toBe(400);
  });
});

describe('role matrix', () => {
  it('lets only Admins (users and tokens) change permission sets, and everyone read them', async () => {
    expect((await create({ Name: 'ByUser' }, USER)).status).toBe(403);
    expect((await create({ Name: 'ByReadOnly' }, READONLY)).status).toBe(403);
    expect((await create({ Name: 'ByApiAdmin' }, API_ADMIN)).status).toBe(201);
    const forbidden = await create({ Name: 'ByUser' }, USER);
    expect(errorOf(forbidden).Code).toBe(403);
    for (const caller of [USER, READONLY, API_ADMIN]) {
      expect((await invoke(f.handlers.list, { caller })).status).toBe(200);
    }
    expect((await invoke(f.handlers.list, { caller: null })).status).toBe(401);
  });
});

describe('ListPermissionSets', () => {
  it('pages by name with limit and an opaque page_token, every page valid against the spec', async () => {
    for (const name of ['page-c', 'page-a', 'page-b'])
      expect((await create({ Name: name })).status).toBe(201);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const response = await invoke(f.handlers.list, {
        caller: READONLY,
        query: { limit: '2', ...(token && { page_token: token }) },
      });
      expect(response.status).toBe(200);
      expect(specErrors('ListPermissionSets', response.body)).toEqual([]);
      const body = response.body as { PermissionSets: { Name: string }[]; Paging: { NextToken?: string } };
      expect(body.PermissionSets.length).toBeLessThanOrEqual(2);
      names.push(...body.PermissionSets.map((set) => set.Name));
      token = body.Paging.NextToken;
    } while (token);
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(names).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ page_token: 'not a token' }, 'page_token'],
    [{ page_token: Buffer.from('{"x":1}').toString('base64url') }, 'page_token'],
    [{ status: 'GONE' }, 'status'],
    [{ created_by: 'me' }, 'created_by'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses the query %j with a 400 naming %s', async (query, field) => {
    const response = await invoke(f.handlers.list, { caller: READONLY, query });
    expect(response.status).toBe(400);
    expect(errorOf(response).Message.startsWith(`${field}:`)).toBe(true);
  });

  it('filters by status and created_by', async () => {
    const byToken = await invoke(f.handlers.list, { caller: READONLY, query: { created_by: API_ADMIN.id } });
    expect(
      (byToken.body as { PermissionSets: { Name: string }[] }).PermissionSets.map((set) => set.Name),
    ).toEqual(['ByApiAdmin']);
    const deleted = await invoke(f.handlers.list, { caller: READONLY, query: { status: 'DELETED' } });
    expect((deleted.body as { PermissionSets: unknown[] }).PermissionSets).toEqual([]);
  });
});

describe('GetPermissionSet, UpdatePermissionSet, DeletePermissionSet', () => {
  it('answers 404 for an unknown permission set and 400 for a malformed id', async () => {
    const missing = await invoke(f.handlers.get, {
      caller: READONLY,
      pathParameters: { permission_set_id: '0badc0de-0000-4000-8000-000000000000' },
    });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).Code).toBe(404);
    expect(
      (await invoke(f.handlers.get, { caller: READONLY, pathParameters: { permission_set_id: 'x' } })).status,
    ).toBe(400);
  });

  it('updates the fields given, refuses a new name, and deletes one without assignments, freeing its name', async () => {
    const created = (await create({ Name: 'Editable', Description: 'first' })).body as { Id: string };
    const path = { permission_set_id: created.Id };
    const renamed = await invoke(f.handlers.update, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: path,
      body: { Name: 'Other' },
    });
    expect(renamed.status).toBe(400);
    expect(errorOf(renamed).Message).toMatch(/^Body\.Name: cannot be changed/);
    const updated = await invoke(f.handlers.update, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: path,
      body: { MaxSessionDuration: 7200, InlinePolicies: [{ Name: 'read', Policy: POLICY }] },
    });
    expect(updated.status).toBe(200);
    expect(specErrors('PermissionSetRecord', updated.body)).toEqual([]);
    expect(updated.body).toMatchObject({
      Description: 'first',
      MaxSessionDuration: 7200,
      ModifiedBy: ADMIN.id,
    });
    const deleted = await invoke(f.handlers.remove, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: path,
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ Status: 'DELETED' });
    expect(
      (
        await invoke(f.handlers.update, {
          method: 'PUT',
          caller: ADMIN,
          pathParameters: path,
          body: { Description: 'x' },
        })
      ).status,
    ).toBe(400);
    expect((await create({ Name: 'editable' })).status).toBe(201);
  });
});

describe('ListAWSManagedPolicies and GetAPIDocument', () => {
  it('lists a few hundred real managed policies, valid against the spec', async () => {
    const response = await invoke(listManagedPolicies, { caller: READONLY });
    expect(response.status).toBe(200);
    expect(specErrors('ListAWSManagedPolicies', response.body)).toEqual([]);
    const arns = (response.body as { AWSManagedPolicies: { Arn: string }[] }).AWSManagedPolicies.map(
      (p) => p.Arn,
    );
    expect(arns.length).toBeGreaterThan(300);
    expect(arns).toEqual(
      expect.arrayContaining([
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess',
        'arn:aws:iam::aws:policy/PowerUserAccess',
      ]),
    );
  });

  it('serves the spec without a caller', async () => {
    const response = await invoke(getApiDocument, { caller: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(spec);
  });
});
