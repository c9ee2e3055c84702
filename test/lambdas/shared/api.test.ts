import { apiHandler, MAX_BODY_BYTES, publicHandler } from '@/lambdas/shared/api';
import { AuditWriteError } from '@/lambdas/shared/audit';
import { NotFoundError } from '@/lambdas/shared/errors';
import { teams_CreateGroup } from '@/lambdas/shared/generated/request-validators';
import type { Logger } from '@/lambdas/shared/logger';
import { ADMIN, apiEvent, invoke, lambdaContext, READONLY, USER } from '@/test/support/api-event';

function silentLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => {}, warn: () => {}, error: (message) => errors.push(message) };
}

const echo = (logger = silentLogger()) =>
  apiHandler(
    { operationId: 'teams.CreateGroup', requestSchema: teams_CreateGroup, logger },
    async (request) => ({
      body: {
        caller: request.caller,
        body: request.body,
        query: request.query,
        path: request.pathParameters,
      },
    }),
  );

describe('apiHandler', () => {
  it('hands the handler the resolved caller, the validated body and the parameters', async () => {
    const response = await invoke(echo(), {
      method: 'POST',
      body: { Name: 'DevOps' },
      query: { a: '1' },
      pathParameters: { group_id: 'g' },
      caller: ADMIN,
    });

    expect(response).toMatchObject({
      status: 200,
      body: { caller: ADMIN, body: { Name: 'DevOps' }, query: { a: '1' }, path: { group_id: 'g' } },
    });
  });

  it('answers 401 when the authorizer resolved no caller', async () => {
    const response = await invoke(echo(), { method: 'POST', body: { Name: 'DevOps' }, caller: null });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ Error: expect.stringMatching(/^Unauthorized/) });
  });

  it('answers 401 for a caller context with an unknown role', async () => {
    const event = apiEvent({ method: 'POST', body: { Name: 'DevOps' }, caller: ADMIN });
    event.requestContext.authorizer = { callerKind: 'user', callerId: ADMIN.id, callerRole: 'customer_root' };
    const result = await echo()(event, lambdaContext);
    expect(result.statusCode).toBe(401);
  });

  it.each([USER, READONLY])(
    'refuses an admin operation to $role with 403 naming the role',
    async (caller) => {
      const response = await invoke(echo(), { method: 'POST', body: { Name: 'DevOps' }, caller });
      expect(response).toEqual({
        status: 403,
        headers: expect.any(Object),
        body: { Error: `teams.CreateGroup needs an Admin role; your role is ${caller.role}` },
      });
    },
  );

  it.each([
    ['malformed JSON', '{"Name": ', 'Body: is not valid JSON: check quotes, commas and brackets'],
    ['a missing field', {}, 'Body.Name: is required'],
    [
      'an unknown field',
      { Name: 'DevOps', Colour: 'red' },
      'Body.Colour: is not a known field: remove it or check the spelling',
    ],
    ['a wrong type', { Name: 42 }, 'Body.Name: must be string'],
    ['a string too short', { Name: 'a' }, 'Body.Name: must NOT have fewer than 2 characters'],
    ['no body', undefined, 'Body: is required: send a JSON object'],
  ])('answers 400 for %s, naming the field', async (_case, body, message) => {
    const response = await invoke(echo(), { method: 'POST', body, caller: ADMIN });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ Error: message });
  });

  it('answers 400 for a body over 64 KiB', async () => {
    const response = await invoke(echo(), {
      method: 'POST',
      body: { Name: 'x'.repeat(MAX_BODY_BYTES) },
      caller: ADMIN,
    });
    expect(response).toMatchObject({
      status: 400,
      body: { Error: 'Body: is larger than 64 KiB: send less data per request' },
    });
  });

  it('answers 400 for a body that is not JSON by its content type', async () => {
    const response = await invoke(echo(), {
      method: 'POST',
      body: 'Name=DevOps',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      caller: ADMIN,
    });
    expect(response.body).toEqual({
      Error: 'Content-Type: must be application/json (got "application/x-www-form-urlencoded")',
    });
  });

  it('refuses a body on an operation that takes none', async () => {
    const handler = apiHandler({ operationId: 'teams.ReadGroups', logger: silentLogger() }, async () => ({
      body: {},
    }));
    const response = await invoke(handler, { body: { x: 1 }, caller: READONLY });
    expect(response).toMatchObject({
      status: 400,
      body: { Error: 'Body: this operation takes no request body: remove it' },
    });
  });

  it('maps domain errors to their status with the spec error body', async () => {
    const handler = apiHandler({ operationId: 'teams.ReadGroup', logger: silentLogger() }, async () => {
      throw new NotFoundError('Group', 'abc');
    });
    expect(await invoke(handler, { caller: READONLY })).toMatchObject({
      status: 404,
      body: { Error: 'Group "abc" not found' },
    });
  });

  it('answers 503 and says nothing changed when the audit write fails', async () => {
    const logger = silentLogger();
    const handler = apiHandler({ operationId: 'teams.ReadGroup', logger }, async () => {
      throw new AuditWriteError(new Error('AccessDenied'));
    });
    const response = await invoke(handler, { caller: READONLY });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      Error: expect.stringMatching(/^Nothing was changed: the change could not be audited/),
    });
    expect(logger.errors).toEqual(['audit write failed: request refused']);
  });

  it('hides unexpected errors behind a 500 that quotes the request id only', async () => {
    const logger = silentLogger();
    const handler = apiHandler({ operationId: 'teams.ReadGroup', logger }, async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443 secret-table');
    });
    const event = apiEvent({ caller: READONLY });
    const result = await handler(event, lambdaContext);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      Error: `Internal error: quote request id ${event.requestContext.requestId} to your administrator`,
    });
    expect(result.body).not.toContain('ECONNREFUSED');
    expect(logger.errors).toEqual(['unexpected error']);
  });
});

describe('publicHandler', () => {
  it('serves without a caller and maps errors the same way', async () => {
    const ok = publicHandler(async () => ({ body: { ok: true } }));
    const missing = publicHandler(async () => {
      throw new NotFoundError('Task', 't');
    }, silentLogger());
    expect(await invoke(ok, { caller: null })).toMatchObject({ status: 200, body: { ok: true } });
    expect(await invoke(missing, { caller: null })).toMatchObject({
      status: 404,
      body: { Error: 'Task "t" not found' },
    });
  });
});

describe('operations without a body', () => {
  it('accept an empty JSON object as no body', async () => {
    const handler = apiHandler({ operationId: 'accounts.DiscoverAccounts' }, async (request) => ({
      body: { got: request.body ?? null },
    }));
    expect(await invoke(handler, { method: 'POST', body: {}, caller: ADMIN })).toMatchObject({
      status: 200,
      body: { got: null },
    });
  });
});
