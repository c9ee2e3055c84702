import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type ChangePlan, runChange } from '@/lambdas/shared/change';
import { ConflictError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { schemaErrors } from '@/lambdas/shared/spec-schemas';
import { TASK_RETENTION_DAYS, taskPut } from '@/lambdas/shared/tasks';
import { publicConfig, publicConfigSettingsFromEnv } from '@/lambdas/tasks/public-config';
import { readConfigHandler } from '@/lambdas/tasks/read-config';
import { readTaskHandler } from '@/lambdas/tasks/read-task';
import { createHarness, type Harness, UNKNOWN_ID } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

let h: Harness;
const readTask = readTaskHandler(() => h.deps);

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.drop());
beforeEach(() => {
  h.audit.events.length = 0;
  h.audit.failWith = undefined;
});

async function putTask(task: { users?: string[]; accounts?: string[] }): Promise<string> {
  const id = newId();
  await h.table.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        taskPut(h.deps.db, h.deps.clock, {
          id,
          operation: 'teams:UpdateGroupMembers',
          logs: ['one', 'two'],
          ...task,
          createdBy: ADMIN.id,
        }),
      ],
    }),
  );
  return id;
}

describe('tasks.ReadTask', () => {
  it('reports a task as SUCCEEDED with its logs and the ids it touched', async () => {
    const users = [newId(), newId()];
    const accounts = [newId()];
    const id = await putTask({ users, accounts });
    const response = await invoke(readTask, {
      path: `/20190206/task/${id}`,
      pathParameters: { task_id: id },
      caller: READONLY,
    });
    expect(response.status).toBe(200);
    expect(schemaErrors('tasks.ReadTask', response.body)).toEqual([]);
    expect(response.body).toEqual({
      Status: 'SUCCEEDED',
      Logs: ['one', 'two'],
      Users: users,
      Accounts: accounts,
    });
  });

  it('answers 404 for an unknown task and for one past its retention, 400 for a bad id or query', async () => {
    expect(
      await invoke(readTask, { pathParameters: { task_id: UNKNOWN_ID }, caller: READONLY }),
    ).toMatchObject({
      status: 404,
      body: { Error: `Task "${UNKNOWN_ID}" not found` },
    });
    const id = await putTask({});
    const clock = h.clock.time;
    h.clock.time = new Date(clock.getTime() + (TASK_RETENTION_DAYS * 86400 + 1) * 1000);
    try {
      expect((await invoke(readTask, { pathParameters: { task_id: id }, caller: READONLY })).status).toBe(
        404,
      );
    } finally {
      h.clock.time = clock;
    }
    expect(await invoke(readTask, { pathParameters: { task_id: 'task-1' }, caller: READONLY })).toMatchObject(
      {
        status: 400,
        body: { Error: 'task_id: must be a UUID, e.g. "ec5eaa8f-da06-4935-b5ce-05bd957c8bdc"' },
      },
    );
    expect(
      await invoke(readTask, { pathParameters: { task_id: id }, query: { verbose: '1' }, caller: READONLY }),
    ).toMatchObject({ status: 400, body: { Error: 'verbose: is not a query parameter of this operation' } });
  });
});

describe('runChange', () => {
  const request = {
    caller: ADMIN,
    requestId: 'req-1',
    operationId: 'teams.CreateGroup',
    taskOperation: 'teams:CreateGroup',
  } as const;

  function putPlan(
    key: { PK: string; SK: string },
    onConditionFailed?: () => ConflictError,
  ): ChangePlan<string> {
    return {
      steps: [
        {
          item: {
            Put: {
              TableName: h.table.tableName,
              Item: { ...key },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          ...(onConditionFailed && { onConditionFailed }),
        },
      ],
      result: 'done',
      logs: ['put'],
      targets: [{ type: 'test', id: key.PK }],
    };
  }

  it('writes the audit event first, then the change and its task', async () => {
    const key = { PK: `TEST#${newId()}`, SK: 'TEST' };
    const { result, taskId } = await runChange(h.deps, request, async () => putPlan(key));
    expect(result).toBe('done');
    const snapshot = await h.snapshot();
    expect(snapshot).toContainEqual(key);
    expect(snapshot).toContainEqual(expect.objectContaining(entityKey(ENTITY.task, taskId)));
    expect(h.audit.events).toEqual([
      expect.objectContaining({
        outcome: 'SUCCESS',
        target: [{ type: 'test', id: key.PK }],
        detail: { taskId },
      }),
    ]);
  });

  it('writes a FAILURE event when the transaction fails after the audit event', async () => {
    const key = { PK: `TEST#${newId()}`, SK: 'TEST' };
    await h.table.doc.send(new PutCommand({ TableName: h.table.tableName, Item: key }));
    const before = await h.snapshot();
    await expect(
      runChange(h.deps, request, async () => putPlan(key, () => new ConflictError('taken'))),
    ).rejects.toThrow(new ConflictError('taken'));
    expect(await h.snapshot()).toEqual(before);
    expect(h.audit.events.map((event) => event.outcome)).toEqual(['SUCCESS', 'FAILURE']);
    expect(h.audit.events[1]?.detail).toMatchObject({
      intentEventId: h.audit.events[0]?.eventId,
      reason: 'ConflictError',
      message: 'taken',
    });
  });

  it('plans again after a lost race, and gives up with 409 when the race is always lost', async () => {
    const key = { PK: `TEST#${newId()}`, SK: 'TEST' };
    await h.table.doc.send(new PutCommand({ TableName: h.table.tableName, Item: key }));
    let plans = 0;
    await expect(
      runChange(h.deps, request, async () => {
        plans += 1;
        return putPlan(key);
      }),
    ).rejects.toThrow(
      `test "${key.PK}" was changed by another request at the same time: read it again and retry`,
    );
    expect(plans).toBe(8);
    expect(h.audit.events.map((event) => event.outcome)).toEqual(['SUCCESS', 'FAILURE']);
  });

  it('refuses a plan too large for one transaction before writing anything', async () => {
    const plan: ChangePlan<undefined> = {
      steps: Array.from({ length: 100 }, () => ({
        item: { Put: { TableName: h.table.tableName, Item: { PK: `TEST#${newId()}`, SK: 'TEST' } } },
      })),
      result: undefined,
      logs: [],
      targets: [],
    };
    const before = await h.snapshot();
    await expect(runChange(h.deps, request, async () => plan)).rejects.toThrow(
      "Body: this change would write 101 items (including its task), but one all-or-nothing change holds at most 100 (DynamoDB's transaction limit): split it into smaller requests",
    );
    expect(await h.snapshot()).toEqual(before);
    expect(h.audit.events).toEqual([]);
  });
});

describe('public.ReadConfig', () => {
  const env = {
    STAXID_API_URL: 'https://api.staxid.example.com/',
    AWS_REGION: 'eu-west-1',
    STAXID_USER_POOL_ID: 'eu-west-1_AbCdEf',
    STAXID_USER_POOL_CLIENT_ID: '1example23456789',
    STAXID_MANAGEMENT_ACCOUNT_ID: '012345678901',
  };

  it('answers anyone with the configuration a client needs, valid against the spec', async () => {
    const handler = readConfigHandler(() => publicConfigSettingsFromEnv(env));
    const response = await invoke(handler, { path: '/20190206/public/config', caller: null });
    expect(response.status).toBe(200);
    expect(schemaErrors('public.ReadConfig', response.body)).toEqual([]);
    const auth = {
      identityPoolId: '',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbCdEf',
      userPoolWebClientId: '1example23456789',
      mandatorySignIn: true,
    };
    expect(response.body).toMatchObject({
      Auth: auth,
      ApiAuth: auth,
      JumaAuth: auth,
      API: {
        endpoints: [{ name: 'staxid', endpoint: 'https://api.staxid.example.com', region: 'eu-west-1' }],
      },
      Juma: {
        domainName: 'api.staxid.example.com',
        fullDomainName: 'api.staxid.example.com',
        controlplaneRegion: 'eu-west-1',
        masterAccountId: 12345678901,
        stage: 'staxid',
      },
      Analytics: { disable: true },
      Features: [],
    });
  });

  test.each(['STAXID_API_URL', 'AWS_REGION', 'STAXID_USER_POOL_ID', 'STAXID_USER_POOL_CLIENT_ID'])(
    'fails to configure without %s, naming it',
    (name) => {
      expect(() => publicConfigSettingsFromEnv({ ...env, [name]: undefined })).toThrow(
        `environment variable ${name} is not set`,
      );
    },
  );

  it('names the hosted UI as a second API endpoint when it is set (staxid login --browser), valid against the spec', async () => {
    const settings = () =>
      publicConfigSettingsFromEnv({
        ...env,
        STAXID_HOSTED_UI_URL: 'https://acme.auth.eu-west-1.amazoncognito.com/',
      });
    const response = await invoke(readConfigHandler(settings), {
      path: '/20190206/public/config',
      caller: null,
    });
    expect(schemaErrors('public.ReadConfig', response.body)).toEqual([]);
    expect((response.body as { API: unknown }).API).toEqual({
      endpoints: [
        { name: 'staxid', endpoint: 'https://api.staxid.example.com', region: 'eu-west-1' },
        {
          name: 'staxid-hosted-ui',
          endpoint: 'https://acme.auth.eu-west-1.amazoncognito.com',
          region: 'eu-west-1',
        },
      ],
    });
  });

  it('reports no management account as 0', () => {
    const config = publicConfig(
      publicConfigSettingsFromEnv({ ...env, STAXID_MANAGEMENT_ACCOUNT_ID: undefined }),
    );
    expect(config.Juma.masterAccountId).toBe(0);
  });
});
