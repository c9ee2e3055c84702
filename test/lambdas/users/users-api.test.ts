/**
 * Every users operation through its handler, against DynamoDB Local and cognito-local:
 * responses checked against the spec's schemas, the table, the pool, the outbox and the
 * audit trail checked after each change.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { INVITATION_VALIDITY_MS, type UserRecord } from '@/lambdas/users/user-model';
import {
  createdUserId,
  newUserBody,
  ORGANISATION_ID,
  startUsersFixture,
  type UsersFixture,
} from '@/test/lambdas/users/fixtures';
import { ADMIN, API_ADMIN, USER } from '@/test/support/api-event';

let f: UsersFixture;
let self: UserRecord;

beforeAll(async () => {
  f = await startUsersFixture();
  self = await f.seedUser({ id: USER.id, email: 'me@example.com', firstName: 'Grace', lastName: 'Hopper' });
});
afterAll(() => f.stop());

interface ApiUser {
  Id: string;
  Email: string;
  Name: string;
  FirstName: string;
  LastName: string;
  Role: string;
  Status: string;
  AuthOrigin: string;
  OrganisationId: string;
  ModifiedTS: string;
}

function usersOf(body: unknown): ApiUser[] {
  return (body as { Users: ApiUser[] }).Users;
}

async function userItem(id: string) {
  const { Item } = await f.table.doc.send(
    new GetCommand({
      TableName: f.table.tableName,
      Key: { PK: `USER#${id}`, SK: 'USER' },
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function createUser(overrides: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
  const body = newUserBody(overrides);
  const response = await f.call(f.handlers.createUser, { method: 'POST', body, caller: ADMIN });
  expect(response.status).toBe(200);
  return { id: await createdUserId(f, response.body), email: String(body.Email) };
}

describe('teams.CreateUser', () => {
  it('invites the user through Cognito, records the user, the email guard and the task, and audits it', async () => {
    const before = f.audit.events.length;
    const outboxBefore = f.cognito.outbox().length;
    const body = newUserBody({ Email: 'Ada.Lovelace@Example.com', Role: 'customer_readonly' });
    const started = Date.now();

    const response = await f.call(f.handlers.createUser, { method: 'POST', body, caller: ADMIN });

    expect(response.status).toBe(200);
    expect(schemaErrors('teams.CreateUserEvent', response.body)).toEqual([]);
    expect(response.body).toMatchObject({
      CustomerId: ORGANISATION_ID,
      Detail: { Operation: 'teams:CreateUser', OperationStatus: 'SUCCEEDED' },
    });
    const id = await createdUserId(f, response.body);
    const item = await userItem(id);
    expect(item).toMatchObject({
      Id: id,
      Email: 'Ada.Lovelace@Example.com',
      GSI1PK: 'USER',
      GSI1SK: 'ada.lovelace@example.com',
      Role: 'customer_readonly',
      Status: 'INVITED',
      AuthOrigin: 'idam',
      CognitoUsername: id,
      CreatedBy: ADMIN.id,
      Version: 1,
    });
    const expires = Date.parse(String(item?.InviteExpiresTS)) - Date.parse(String(item?.InvitedTS));
    expect(expires).toBe(INVITATION_VALIDITY_MS);
    expect(Date.parse(String(item?.InvitedTS))).toBeGreaterThanOrEqual(started - 1000);

    const guard = (await f.items()).find((entry) => entry.PK === 'UNIQUE#EMAIL#ada.lovelace@example.com');
    expect(guard).toMatchObject({ UserId: id });
    const task = (await f.items()).find(
      (entry) => entry.PK === `TASK#${(response.body as { TaskId: string }).TaskId}`,
    );
    expect(task).toMatchObject({
      Status: 'SUCCEEDED',
      Operation: 'teams:CreateUser',
      Users: [id],
      CreatedBy: ADMIN.id,
    });

    const poolUser = await f.cognito.getUser(id);
    expect(poolUser?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    expect(poolUser?.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: 'Ada.Lovelace@Example.com' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'given_name', Value: 'Ada' },
        { Name: 'family_name', Value: 'Lovelace' },
      ]),
    );

    const messages = f.cognito.outbox();
    expect(messages).toHaveLength(outboxBefore + 1);
    const invitation = messages.at(-1);
    expect(invitation).toMatchObject({ Kind: 'invitation', To: 'Ada.Lovelace@Example.com', Username: id });
    expect(invitation?.TemporaryPassword).toMatch(/^.{20}$/);

    expect(f.audit.events).toHaveLength(before + 1);
    expect(f.audit.events.at(-1)).toMatchObject({
      staxEventType: 'teams.CreateUser',
      outcome: 'SUCCESS',
      actor: { type: 'user', id: ADMIN.id, role: 'customer_admin' },
      target: [{ type: 'user', id, name: 'Ada.Lovelace@Example.com' }],
    });
    expect(JSON.stringify(f.audit.events.at(-1))).not.toContain(String(invitation?.TemporaryPassword));
  });

  it('gives customer_user when the request names no role', async () => {
    const { id } = await createUser();
    expect((await userItem(id))?.Role).toBe('customer_user');
  });

  it('refuses an email already taken, whatever its case: 409, nothing written', async () => {
    const { email } = await createUser();
    const before = await f.snapshot();
    const response = await f.call(f.handlers.createUser, {
      method: 'POST',
      body: newUserBody({ Email: email.toUpperCase() }),
      caller: ADMIN,
    });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      Error: `Email ${JSON.stringify(email.toUpperCase())} already belongs to a user: use another address, or update that user`,
    });
    expect(await f.snapshot()).toEqual(before);
  });
});

describe('teams.ReadUsers', () => {
  let invited: string;
  let disabled: UserRecord;
  let deleted: UserRecord;
  let federated: UserRecord;

  beforeAll(async () => {
    invited = (await createUser({ Email: 'aaa-invited@example.com' })).id;
    disabled = await f.seedUser({ email: 'aab-disabled@example.com', status: 'DISABLED' });
    deleted = await f.seedUser({ email: 'aac-deleted@example.com', status: 'DELETED' });
    federated = await f.seedUser({ email: 'aad-federated@example.com', authOrigin: 'sso' });
  });

  async function read(query?: Record<string, string>): Promise<ApiUser[]> {
    const response = await f.call(f.handlers.readUsers, { caller: ADMIN, ...(query && { query }) });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.ReadUsers', response.body)).toEqual([]);
    return usersOf(response.body);
  }

  it('lists the local users that are not deleted, by email, by default', async () => {
    const users = await read();
    const ids = users.map((user) => user.Id);
    expect(ids).toEqual(expect.arrayContaining([invited, disabled.Id, self.Id]));
    expect(ids).not.toContain(deleted.Id);
    expect(ids).not.toContain(federated.Id);
    const emails = users.map((user) => user.Email.toLowerCase());
    expect(emails).toEqual([...emails].sort());
    expect(users.find((user) => user.Id === self.Id)).toMatchObject({
      Email: 'me@example.com',
      Name: 'Grace Hopper',
      FirstName: 'Grace',
      LastName: 'Hopper',
      Role: 'customer_user',
      Status: 'ACTIVE',
      AuthOrigin: 'idam',
      OrganisationId: ORGANISATION_ID,
    });
  });

  it('returns DELETED users only when status_filter asks for them', async () => {
    const users = await read({ status_filter: 'DELETED' });
    expect(users.map((user) => user.Id)).toEqual([deleted.Id]);
    expect(users[0]?.Status).toBe('DELETED');
  });

  it('filters by status, comma separated and in any case', async () => {
    const users = await read({ status_filter: 'invited, disabled' });
    const statuses = new Set(users.map((user) => user.Status));
    expect(statuses).toEqual(new Set(['INVITED', 'DISABLED']));
    expect(users.map((user) => user.Id)).toEqual(expect.arrayContaining([invited, disabled.Id]));
  });

  it('filters by auth origin: Federated, or both', async () => {
    expect((await read({ filter: 'Federated' })).map((user) => user.Id)).toEqual([federated.Id]);
    const both = (await read({ filter: 'Team,Federated' })).map((user) => user.Id);
    expect(both).toEqual(expect.arrayContaining([federated.Id, self.Id, invited]));
  });

  it('returns the users an id_filter names, and no others', async () => {
    const unknown = '11111111-1111-4111-8111-111111111111';
    const users = await read({ id_filter: `${self.Id},${invited},${unknown},${deleted.Id}` });
    expect(users.map((user) => user.Id).sort()).toEqual([self.Id, invited].sort());
  });
});

describe('teams.ReadUser', () => {
  it('returns the user', async () => {
    const response = await f.call(f.handlers.readUser, {
      caller: USER,
      pathParameters: { user_id: self.Id },
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.ReadUsers', response.body)).toEqual([]);
    expect(usersOf(response.body).map((user) => user.Id)).toEqual([self.Id]);
  });

  it('does not find a DELETED user', async () => {
    const gone = await f.seedUser({ status: 'DELETED' });
    const response = await f.call(f.handlers.readUser, {
      caller: ADMIN,
      pathParameters: { user_id: gone.Id },
    });
    expect(response).toEqual({
      status: 404,
      body: { Error: `User "${gone.Id}" not found` },
      headers: expect.anything(),
    });
  });
});

describe('teams.FetchCurrentUser', () => {
  it('returns the calling user', async () => {
    const response = await f.call(f.handlers.fetchCurrentUser, { caller: USER });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.ReadUsers', response.body)).toEqual([]);
    expect(usersOf(response.body)).toEqual([
      expect.objectContaining({ Id: USER.id, Email: 'me@example.com' }),
    ]);
  });

  it('answers 404 for an API token, which is not a user', async () => {
    const response = await f.call(f.handlers.fetchCurrentUser, { caller: API_ADMIN });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ Error: `User "${API_ADMIN.id}" not found` });
  });
});

describe('teams.ReadIdamUsers and teams.ReadIdamUser (deprecated)', () => {
  it('lists local users in the IDAM shape', async () => {
    const response = await f.call(f.handlers.readIdamUsers, { caller: ADMIN });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.ReadIdamUsers', response.body)).toEqual([]);
    const me = (response.body as { Users: Array<Record<string, unknown>> }).Users.find(
      (user) => user.id === self.Id,
    );
    expect(me).toEqual({
      id: self.Id,
      email: 'me@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      enabled: true,
      emailVerified: true,
      createdTimestamp: Date.parse(self.CreatedTS),
      customerId: ORGANISATION_ID,
      organisationId: ORGANISATION_ID,
      role: 'customer_user',
      requiredActions: [],
    });
  });

  it('lists them for the organisation id, and 404 for another', async () => {
    const response = await f.call(f.handlers.readIdamUser, {
      caller: ADMIN,
      pathParameters: { org_id: ORGANISATION_ID },
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.ReadIdamUsers', response.body)).toEqual([]);
    const other = '22222222-2222-4222-8222-222222222222';
    const missing = await f.call(f.handlers.readIdamUser, {
      caller: ADMIN,
      pathParameters: { org_id: other },
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ Error: `Organisation "${other}" not found` });
  });
});

describe('teams.UpdateUser', () => {
  it('changes names, email and role, in the table, the guard and Cognito', async () => {
    const { id, email } = await createUser();
    const before = f.audit.events.length;
    const response = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: id },
      body: { FirstName: 'Augusta', LastName: 'King', Email: `new-${email}`, Role: 'customer_admin' },
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.UpdateUserEvent', response.body)).toEqual([]);
    expect(response.body).toMatchObject({
      Detail: { Operation: 'teams:UpdateUser', OperationStatus: 'SUCCEEDED' },
    });
    expect(await userItem(id)).toMatchObject({
      FirstName: 'Augusta',
      LastName: 'King',
      Email: `new-${email}`,
      GSI1SK: `new-${email}`,
      Role: 'customer_admin',
      Status: 'INVITED',
      Version: 2,
    });
    const keys = (await f.items()).map((item) => item.PK);
    expect(keys).toContain(`UNIQUE#EMAIL#new-${email}`);
    expect(keys).not.toContain(`UNIQUE#EMAIL#${email}`);
    expect((await f.cognito.getUser(id))?.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: `new-${email}` },
        { Name: 'given_name', Value: 'Augusta' },
        { Name: 'family_name', Value: 'King' },
      ]),
    );
    expect(f.audit.events).toHaveLength(before + 1);
    expect(f.audit.events.at(-1)).toMatchObject({
      staxEventType: 'teams.UpdateUser',
      outcome: 'SUCCESS',
      detail: { Changed: ['FirstName', 'LastName', 'Email', 'Role'], Role: 'customer_admin' },
    });
    // the old address is free again
    await createUser({ Email: email });
  });

  it('disables (Cognito too) and re-activates to the status the user had', async () => {
    const { id } = await createUser();
    const disable = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: id },
      body: { Status: 'DISABLED' },
    });
    expect(disable.status).toBe(200);
    expect(await userItem(id)).toMatchObject({ Status: 'DISABLED', DisabledFromStatus: 'INVITED' });
    expect((await f.cognito.getUser(id))?.Enabled).toBe(false);

    const names = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: id },
      body: { Status: 'ACTIVE', FirstName: 'Other' },
    });
    expect(names.status).toBe(400);
    expect(names.body).toEqual({
      Error: `User ${id} is DISABLED: the only change allowed is Status ACTIVE. Re-activate the user first, then make other changes`,
    });

    const enable = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: id },
      body: { Status: 'ACTIVE' },
    });
    expect(enable.status).toBe(200);
    const item = await userItem(id);
    expect(item).toMatchObject({ Status: 'INVITED' });
    expect(item).not.toHaveProperty('DisabledFromStatus');
    expect((await f.cognito.getUser(id))?.Enabled).toBe(true);
  });

  it('lets users change their own names, and nothing else of theirs', async () => {
    const response = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: USER,
      pathParameters: { user_id: USER.id },
      body: { FirstName: 'Amazing', LastName: 'Grace' },
    });
    expect(response.status).toBe(200);
    expect(await userItem(USER.id)).toMatchObject({ FirstName: 'Amazing', LastName: 'Grace' });

    const role = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: USER,
      pathParameters: { user_id: USER.id },
      body: { Role: 'customer_admin' },
    });
    expect(role.status).toBe(403);
    expect(role.body).toEqual({
      Error:
        'You may change only your own FirstName and LastName: changing Email, Role or Status needs an Admin role',
    });
  });

  it('changes only the status of a federated user', async () => {
    const federated = await f.seedUser({ authOrigin: 'sso' });
    const names = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: federated.Id },
      body: { LastName: 'Changed' },
    });
    expect(names.status).toBe(400);
    expect(names.body).toEqual({
      Error: `User ${federated.Id} is federated (AuthOrigin sso): names, email and role come from the identity provider; only Status can be changed here`,
    });
    const disable = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: federated.Id },
      body: { Status: 'DISABLED' },
    });
    expect(disable.status).toBe(200);
    expect((await f.cognito.getUser(`sso_${federated.Id}`))?.Enabled).toBe(false);
  });
});

describe('teams.UpdateUserInvite', () => {
  it('sends an INVITED user a new invitation and moves its expiry', async () => {
    const { id, email } = await createUser();
    const first = await userItem(id);
    const count = f.cognito.outbox().length;
    await new Promise((resolve) => setTimeout(resolve, 5));

    const response = await f.call(f.handlers.updateUserInvite, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: id },
    });

    expect(response.status).toBe(200);
    expect(schemaErrors('teams.UpdateUserInviteEvent', response.body)).toEqual([]);
    const messages = f.cognito.outbox();
    expect(messages).toHaveLength(count + 1);
    expect(messages.at(-1)).toMatchObject({ Kind: 'invitation', To: email, Username: id });
    const item = await userItem(id);
    expect(Date.parse(String(item?.InviteExpiresTS))).toBeGreaterThan(
      Date.parse(String(first?.InviteExpiresTS)),
    );
    expect(f.audit.events.at(-1)).toMatchObject({
      staxEventType: 'teams.UpdateUserInvite',
      outcome: 'SUCCESS',
    });
  });

  it('refuses a user who is not INVITED: 400', async () => {
    const active = await f.seedUser();
    const response = await f.call(f.handlers.updateUserInvite, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: active.Id },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      Error: `User ${active.Id} is ACTIVE, not INVITED: only a user who has not signed in yet can be invited again`,
    });
  });
});

describe('teams.UpdateUserPassword', () => {
  it('resets an ACTIVE local user: a temporary password through the outbox', async () => {
    const active = await f.seedUser();
    const response = await f.call(f.handlers.updateUserPassword, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: active.Id },
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('teams.UpdateUserPasswordEvent', response.body)).toEqual([]);
    expect(f.cognito.outbox().at(-1)).toMatchObject({ Kind: 'password-reset', To: active.Email });
    expect((await f.cognito.getUser(active.Id))?.UserStatus).toBe('FORCE_CHANGE_PASSWORD');
    expect(await userItem(active.Id)).toMatchObject({ PasswordResetTS: expect.any(String), Version: 2 });
    expect(f.audit.events.at(-1)).toMatchObject({
      staxEventType: 'teams.UpdateUserPassword',
      outcome: 'SUCCESS',
    });
  });

  it('refuses a federated user: 400', async () => {
    const federated = await f.seedUser({ authOrigin: 'scim' });
    const response = await f.call(f.handlers.updateUserPassword, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: federated.Id },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      Error: `User ${federated.Id} is federated (AuthOrigin scim): their password is kept by their identity provider`,
    });
  });
});

describe('teams.DeleteUser', () => {
  it('marks the user DELETED, removes them from Cognito and every group, and frees the email', async () => {
    const user = await f.seedUser({ email: 'to-delete@example.com' });
    const groups = ['33333333-3333-4333-8333-333333333331', '33333333-3333-4333-8333-333333333332'];
    for (const group of groups) await f.seedMembership(group, user.Id);
    const bystander = await f.seedUser();
    await f.seedMembership(groups[0] ?? '', bystander.Id);
    const before = f.audit.events.length;

    const response = await f.call(f.handlers.deleteUser, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });

    expect(response.status).toBe(200);
    expect(schemaErrors('teams.DeleteUserResponse', response.body)).toEqual([]);
    expect(usersOf(response.body)).toEqual([expect.objectContaining({ Id: user.Id, Status: 'DELETED' })]);
    expect(await userItem(user.Id)).toMatchObject({ Status: 'DELETED', Version: 2 });
    const keys = (await f.items()).map((item) => `${item.PK}|${item.SK}`);
    expect(keys.filter((key) => key.endsWith(`MEMBER#${user.Id}`))).toEqual([]);
    expect(keys).toContain(`GROUP#${groups[0]}|MEMBER#${bystander.Id}`);
    expect(keys).not.toContain('UNIQUE#EMAIL#to-delete@example.com|UNIQUE');
    expect(await f.cognito.getUser(user.Id)).toBeUndefined();
    expect(f.audit.events).toHaveLength(before + 1);
    expect(f.audit.events.at(-1)).toMatchObject({
      staxEventType: 'teams.DeleteUser',
      detail: { RemovedFromGroups: expect.arrayContaining(groups) },
    });

    const again = await f.call(f.handlers.deleteUser, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });
    expect(again.status).toBe(404);
    // the address can be invited again
    await createUser({ Email: 'to-delete@example.com' });
  });
});
