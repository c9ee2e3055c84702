/**
 * The change pipeline of UserService: "no audit event, no change", undo when Cognito
 * fails after the commit, the version condition under a forced race, large deletes, and
 * rules the handlers cannot reach (a role above the caller's own).
 */
import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UserDirectory } from '@/lambdas/shared/directory';
import { ForbiddenError } from '@/lambdas/shared/errors';
import { type UserRecord, userItem } from '@/lambdas/users/user-model';
import {
  createdUserId,
  newUserBody,
  startUsersFixture,
  type UsersFixture,
} from '@/test/lambdas/users/fixtures';
import { ADMIN, USER } from '@/test/support/api-event';

let f: UsersFixture;

beforeAll(async () => {
  f = await startUsersFixture();
});
afterAll(() => f.stop());
beforeEach(() => {
  // The pipeline logs the failures these tests cause on purpose.
  jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  f.audit.failWith = undefined;
  f.useDirectory(undefined);
  jest.restoreAllMocks();
});

/** A directory that fails on `method` and otherwise does what cognito-local does. */
function failingOn(method: keyof UserDirectory): UserDirectory {
  const real = f.cognito.directory;
  const fail = async (): Promise<void> => {
    throw new Error(`Cognito is down (${method})`);
  };
  return {
    createUser: method === 'createUser' ? fail : (user) => real.createUser(user),
    resendInvitation: method === 'resendInvitation' ? fail : (user) => real.resendInvitation(user),
    resetPassword: method === 'resetPassword' ? fail : (user) => real.resetPassword(user),
    disable: method === 'disable' ? fail : (username) => real.disable(username),
    enable: method === 'enable' ? fail : (username) => real.enable(username),
    deleteUser: method === 'deleteUser' ? fail : (username) => real.deleteUser(username),
    updateAttributes:
      method === 'updateAttributes' ? fail : (username, values) => real.updateAttributes(username, values),
  };
}

describe('no audit event, no change', () => {
  const requests: ReadonlyArray<
    readonly [string, (user: UserRecord) => Promise<{ status: number; body: unknown }>]
  > = [
    [
      'CreateUser',
      () => f.call(f.handlers.createUser, { method: 'POST', caller: ADMIN, body: newUserBody() }),
    ],
    [
      'UpdateUser',
      (user) =>
        f.call(f.handlers.updateUser, {
          method: 'PUT',
          caller: ADMIN,
          pathParameters: { user_id: user.Id },
          body: { Status: 'DISABLED', FirstName: 'Changed' },
        }),
    ],
    [
      'UpdateUserInvite',
      (user) =>
        f.call(f.handlers.updateUserInvite, {
          method: 'PUT',
          caller: ADMIN,
          pathParameters: { user_id: user.Id },
        }),
    ],
    [
      'UpdateUserPassword',
      (user) =>
        f.call(f.handlers.updateUserPassword, {
          method: 'PUT',
          caller: ADMIN,
          pathParameters: { user_id: user.Id },
        }),
    ],
    [
      'DeleteUser',
      (user) =>
        f.call(f.handlers.deleteUser, {
          method: 'DELETE',
          caller: ADMIN,
          pathParameters: { user_id: user.Id },
        }),
    ],
  ];

  it.each(requests)(
    '%s: an audit sink that fails leaves everything as it was (503)',
    async (operation, send) => {
      const user = await f.seedUser({ status: operation === 'UpdateUserInvite' ? 'INVITED' : 'ACTIVE' });
      await f.seedMembership('66666666-6666-4666-8666-666666666666', user.Id);
      const before = await f.snapshot();
      f.audit.failWith = new Error('bucket unreachable');

      const response = await send(user);

      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        Error: expect.stringMatching(/^Nothing was changed: the change could not be audited/),
      });
      expect(await f.snapshot()).toEqual(before);
    },
  );

  it.each(requests)('%s: writes exactly one audit event when it succeeds', async (operation, send) => {
    const user = await f.seedUser({ status: operation === 'UpdateUserInvite' ? 'INVITED' : 'ACTIVE' });
    const before = f.audit.events.length;
    const response = await send(user);
    expect(response.status).toBe(200);
    expect(f.audit.events).toHaveLength(before + 1);
    expect(f.audit.events.at(-1)).toMatchObject({ staxEventType: `teams.${operation}`, outcome: 'SUCCESS' });
  });
});

describe('when Cognito fails after the commit', () => {
  it('CreateUser: undoes the writes, sends no invitation, audits the failure, answers 500', async () => {
    const before = await f.snapshot();
    f.useDirectory(failingOn('createUser'));

    const response = await f.call(f.handlers.createUser, {
      method: 'POST',
      caller: ADMIN,
      body: newUserBody(),
    });

    expect(response.status).toBe(500);
    expect(response.body).toEqual({ Error: expect.stringMatching(/^Internal error: quote request id/) });
    const after = await f.snapshot();
    expect({ ...after, auditEvents: 0 }).toEqual({ ...before, auditEvents: 0 });
    const [success, failure] = f.audit.events.slice(-2);
    expect(success).toMatchObject({ staxEventType: 'teams.CreateUser', outcome: 'SUCCESS' });
    expect(failure).toMatchObject({
      staxEventType: 'teams.CreateUser',
      outcome: 'FAILURE',
      detail: { Supersedes: success?.eventId, Reason: 'InternalError' },
    });
  });

  it('UpdateUser: a failed disable puts back the names already changed in Cognito and the item', async () => {
    const user = await f.seedUser();
    const before = await f.snapshot();
    f.useDirectory(failingOn('disable'));

    const response = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
      body: { FirstName: 'Renamed', Status: 'DISABLED' },
    });

    expect(response.status).toBe(500);
    const after = await f.snapshot();
    expect({ ...after, auditEvents: 0 }).toEqual({ ...before, auditEvents: 0 });
    expect(f.audit.events.at(-1)).toMatchObject({ outcome: 'FAILURE', staxEventType: 'teams.UpdateUser' });
  });

  it('DeleteUser: the user, the email guard and the memberships come back', async () => {
    const user = await f.seedUser();
    await f.seedMembership('77777777-7777-4777-8777-777777777777', user.Id);
    const before = await f.snapshot();
    f.useDirectory(failingOn('deleteUser'));

    const response = await f.call(f.handlers.deleteUser, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });

    expect(response.status).toBe(500);
    const after = await f.snapshot();
    expect({ ...after, auditEvents: 0 }).toEqual({ ...before, auditEvents: 0 });
  });

  it('UpdateUserPassword: the user item stays as it was', async () => {
    const user = await f.seedUser();
    const before = await f.snapshot();
    f.useDirectory(failingOn('resetPassword'));
    const response = await f.call(f.handlers.updateUserPassword, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });
    expect(response.status).toBe(500);
    expect({ ...(await f.snapshot()), auditEvents: 0 }).toEqual({ ...before, auditEvents: 0 });
  });

  it('UpdateUserInvite: the invitation dates stay as they were', async () => {
    const user = await f.seedUser({ status: 'INVITED' });
    const before = await f.snapshot();
    f.useDirectory(failingOn('resendInvitation'));
    const response = await f.call(f.handlers.updateUserInvite, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });
    expect(response.status).toBe(500);
    expect({ ...(await f.snapshot()), auditEvents: 0 }).toEqual({ ...before, auditEvents: 0 });
  });
});

describe('optimistic concurrency', () => {
  it('re-applies the second of two updates that read the same version: both changes land, one event each', async () => {
    const user = await f.seedUser();
    const events = f.audit.events.length;
    // Hold every transaction until both requests have read the user and reached their write:
    // the first to commit wins, the other's Version condition fails and it is tried again.
    const send = f.db.doc.send.bind(f.db.doc);
    let transactions = 0;
    let release: () => void = () => {};
    const bothReady = new Promise<void>((resolve) => {
      release = resolve;
    });
    jest.spyOn(f.db.doc, 'send').mockImplementation(async (command: Parameters<typeof send>[0]) => {
      if (command instanceof TransactWriteCommand) {
        transactions++;
        if (transactions === 2) release();
        await bothReady;
      }
      return send(command);
    });

    const [first, second] = await Promise.all([
      f.call(f.handlers.updateUser, {
        method: 'PUT',
        caller: ADMIN,
        pathParameters: { user_id: user.Id },
        body: { FirstName: 'One' },
      }),
      f.call(f.handlers.updateUser, {
        method: 'PUT',
        caller: ADMIN,
        pathParameters: { user_id: user.Id },
        body: { LastName: 'Two' },
      }),
    ]);
    jest.restoreAllMocks();

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(transactions).toBe(3);
    const item = (await f.items()).find((entry) => entry.PK === `USER#${user.Id}`);
    expect(item).toMatchObject({ FirstName: 'One', LastName: 'Two', Version: 3 });
    expect(f.audit.events.slice(events).map((event) => event.outcome)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  it('gives up with 409 when the user keeps changing under it, and audits the failure', async () => {
    const user = await f.seedUser();
    const send = f.db.doc.send.bind(f.db.doc);
    let version = 1;
    // Another writer moves the version on just before each of this request's commits.
    jest.spyOn(f.db.doc, 'send').mockImplementation(async (command: Parameters<typeof send>[0]) => {
      if (command instanceof TransactWriteCommand) {
        version++;
        await send(
          new UpdateCommand({
            TableName: f.table.tableName,
            Key: { PK: `USER#${user.Id}`, SK: 'USER' },
            UpdateExpression: 'SET Version = :v',
            ExpressionAttributeValues: { ':v': version },
          }),
        );
      }
      return send(command);
    });

    const response = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
      body: { FirstName: 'Never' },
    });
    jest.restoreAllMocks();

    expect(response).toMatchObject({
      status: 409,
      body: {
        Error: `User "${user.Id}" was changed by another request at the same time: read it again and retry`,
      },
    });
    expect(version).toBe(1 + 5);
    const item = (await f.items()).find((entry) => entry.PK === `USER#${user.Id}`);
    expect(item?.FirstName).toBe(user.FirstName);
    expect(f.audit.events.slice(-2).map((event) => event.outcome)).toEqual(['SUCCESS', 'FAILURE']);
  });

  it('updates an item written before versions existed (no Version attribute)', async () => {
    const user = await f.seedUser();
    const { Version: _version, ...legacy } = userItem(user);
    await f.table.doc.send(new PutCommand({ TableName: f.table.tableName, Item: legacy }));
    const response = await f.call(f.handlers.updateUser, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
      body: { FirstName: 'Versioned' },
    });
    expect(response.status).toBe(200);
    const item = (await f.items()).find((entry) => entry.PK === `USER#${user.Id}`);
    expect(item).toMatchObject({ FirstName: 'Versioned', Version: 1 });
  });
});

describe('DeleteUser with more memberships than one transaction holds', () => {
  it('removes all of them', async () => {
    const user = await f.seedUser();
    const groups = Array.from(
      { length: 130 },
      (_, index) => `88888888-8888-4888-8888-${String(index).padStart(12, '0')}`,
    );
    await Promise.all(groups.map((group) => f.seedMembership(group, user.Id)));
    const response = await f.call(f.handlers.deleteUser, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { user_id: user.Id },
    });
    expect(response.status).toBe(200);
    const left = (await f.items()).filter((item) => item.SK === `MEMBER#${user.Id}`);
    expect(left).toEqual([]);
  });
});

describe('roles', () => {
  it('refuses to grant a role above the caller’s own', async () => {
    await expect(
      f.service.createUser(
        USER,
        { Email: 'x@example.com', FirstName: 'X', LastName: 'Y', Role: 'customer_admin' },
        'r',
      ),
    ).rejects.toEqual(
      new ForbiddenError('Role customer_admin is above your own role (customer_user): you may not grant it'),
    );
  });

  it('lets an Admin token create an Admin user', async () => {
    const response = await f.call(f.handlers.createUser, {
      method: 'POST',
      caller: { kind: 'token', id: '99999999-9999-4999-8999-999999999999', role: 'api_admin' },
      body: newUserBody({ Role: 'customer_admin' }),
    });
    expect(response.status).toBe(200);
    const id = await createdUserId(f, response.body);
    const item = (await f.items()).find((entry) => entry.PK === `USER#${id}`);
    expect(item).toMatchObject({ Role: 'customer_admin', CreatedBy: '99999999-9999-4999-8999-999999999999' });
  });
});
