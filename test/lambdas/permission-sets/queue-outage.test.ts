import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { SqsDeploymentQueue } from '@/lambdas/deployments/sqs-deployment-queue';
import { createAssignmentsHandler } from '@/lambdas/permission-sets/create-assignments';
import { deleteAssignmentHandler } from '@/lambdas/permission-sets/delete-assignment';
import type { PermissionSetDeps } from '@/lambdas/permission-sets/deps';
import { getPermissionSetHandler } from '@/lambdas/permission-sets/get-permission-set';
import { listAssignmentsHandler } from '@/lambdas/permission-sets/list-assignments';
import { redeployAssignmentHandler } from '@/lambdas/permission-sets/redeploy-assignment';
import { updatePermissionSetHandler } from '@/lambdas/permission-sets/update-permission-set';
import {
  createFixture,
  type Fixture,
  newPermissionSet,
  putAccountType,
  putGroup,
  specErrors,
} from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

/**
 * The deployment queue (SQS, mocked at the SDK boundary) failing after a change was committed:
 * every operation that enqueues answers 503 in the spec's error body, saying what was saved,
 * which assignments wait in which `*_REQUESTED` status, and how to send them again; the
 * committed state stays what List shows.
 */

const sqs = mockClient(SQSClient);
let f: Fixture;
let handlers: ReturnType<typeof handlersWithSqs>;

function handlersWithSqs(deps: () => PermissionSetDeps) {
  return {
    createAssignments: createAssignmentsHandler(deps),
    redeploy: redeployAssignmentHandler(deps),
    update: updatePermissionSetHandler(deps),
    deleteAssignment: deleteAssignmentHandler(deps),
    listAssignments: listAssignmentsHandler(deps),
    get: getPermissionSetHandler(deps),
  };
}

beforeAll(async () => {
  f = await createFixture();
  const queue = new SqsDeploymentQueue(
    new SQSClient({ region: 'us-east-1' }),
    'https://sqs.us-east-1.amazonaws.com/111111111111/staxid-deployments.fifo',
    { sleep: async () => {} },
  );
  handlers = handlersWithSqs(() => ({ ...f.deps(), queue }));
});
afterAll(() => f.h.drop());
beforeEach(() => sqs.reset());

function queueDown() {
  const outage = new Error('Service is unavailable');
  outage.name = 'ServiceUnavailable';
  sqs.on(SendMessageBatchCommand).rejects(outage);
}

function queueUp() {
  sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({
      Id: entry.Id,
      MessageId: entry.Id,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  }));
}

function sentMessages(): DeploymentMessage[] {
  return sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '') as DeploymentMessage);
}

function unavailableMessage(response: { status: number; body: unknown }): string {
  expect(response.status).toBe(503);
  expect(specErrors('ErrorResponse', response.body)).toEqual([]);
  const error = (response.body as { Error: { Code: number; Message: string } }).Error;
  expect(error.Code).toBe(503);
  return error.Message;
}

async function statusesOf(setId: string): Promise<Record<string, string>> {
  const listed = await invoke(handlers.listAssignments, {
    caller: READONLY,
    pathParameters: { permission_set_id: setId },
  });
  expect(listed.status).toBe(200);
  const { Assignments } = listed.body as { Assignments: { Id: string; Status: string }[] };
  return Object.fromEntries(Assignments.map((assignment) => [assignment.Id, assignment.Status]));
}

function deploymentStatuses(snapshot: Record<string, unknown>[], assignmentId: string): unknown[] {
  return snapshot
    .filter((item) => String(item.SK).startsWith(`DEPLOYMENT#${assignmentId}#`))
    .map((item) => item.Status);
}

/** An assignment to a new account type of two ACTIVE accounts, made while the queue works. */
async function deployedAssignment(setId: string): Promise<string> {
  queueUp();
  const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE']);
  const response = await invoke(handlers.createAssignments, {
    method: 'POST',
    caller: ADMIN,
    pathParameters: { permission_set_id: setId },
    body: [{ AccountTypeId: type.id, GroupId: await putGroup(f.h) }],
  });
  expect(response.status).toBe(200);
  sqs.reset();
  return (response.body as { Id: string }[])[0]?.Id ?? '';
}

describe('a deployment queue outage after the change was committed', () => {
  it('CreatePermissionSetAssignments: 503 naming the assignment, which stays CREATE_REQUESTED until RedeployPermissionSetAssignment sends it', async () => {
    const set = await newPermissionSet(f, 'Outage');
    const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE']);
    queueDown();

    const response = await invoke(handlers.createAssignments, {
      method: 'POST',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id },
      body: [{ AccountTypeId: type.id, GroupId: await putGroup(f.h) }],
    });

    const message = unavailableMessage(response);
    const [assignmentId, status] = Object.entries(await statusesOf(set.Id))[0] ?? [];
    expect(status).toBe('CREATE_REQUESTED');
    expect(message).toContain('The change was saved');
    expect(message).toContain(`assignment ${assignmentId} stay CREATE_REQUESTED`);
    expect(message).toContain(
      `RedeployPermissionSetAssignment (PUT /20210321/permission-sets/${set.Id}/assignments/${assignmentId})`,
    );
    expect(deploymentStatuses(await f.h.snapshot(), assignmentId ?? '')).toEqual([
      'CREATE_REQUESTED',
      'CREATE_REQUESTED',
    ]);

    sqs.reset();
    queueUp();
    const redeployed = await invoke(handlers.redeploy, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId ?? '' },
    });
    expect(redeployed.status).toBe(200);
    expect(sentMessages().map((m) => [m.assignmentId, m.action])).toEqual([
      [assignmentId, 'deploy'],
      [assignmentId, 'deploy'],
    ]);
  });

  it('RedeployPermissionSetAssignment: 503, the assignment and its deployments stay UPDATE_REQUESTED', async () => {
    const set = await newPermissionSet(f, 'Outage');
    const assignmentId = await deployedAssignment(set.Id);
    queueDown();

    const response = await invoke(handlers.redeploy, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });

    expect(unavailableMessage(response)).toContain(`assignment ${assignmentId} stay UPDATE_REQUESTED`);
    expect(await statusesOf(set.Id)).toEqual({ [assignmentId]: 'UPDATE_REQUESTED' });
    expect(deploymentStatuses(await f.h.snapshot(), assignmentId)).toEqual([
      'UPDATE_REQUESTED',
      'UPDATE_REQUESTED',
    ]);
  });

  it('UpdatePermissionSet: the change is kept, every assignment is requested, and one 503 names them all', async () => {
    const set = await newPermissionSet(f, 'Outage');
    const first = await deployedAssignment(set.Id);
    const second = await deployedAssignment(set.Id);
    queueDown();

    const response = await invoke(handlers.update, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id },
      body: { Description: 'saved despite the outage' },
    });

    const message = unavailableMessage(response);
    for (const assignmentId of [first, second]) {
      expect(message).toContain(`/20210321/permission-sets/${set.Id}/assignments/${assignmentId})`);
    }
    expect(await statusesOf(set.Id)).toEqual({ [first]: 'UPDATE_REQUESTED', [second]: 'UPDATE_REQUESTED' });
    const read = await invoke(handlers.get, {
      caller: READONLY,
      pathParameters: { permission_set_id: set.Id },
    });
    expect(read.body).toMatchObject({ Description: 'saved despite the outage' });
  });

  it('DeletePermissionSetAssignment: 503, the deployments stay DELETE_REQUESTED for the reconcile to send', async () => {
    const set = await newPermissionSet(f, 'Outage');
    const assignmentId = await deployedAssignment(set.Id);
    queueDown();

    const response = await invoke(handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });

    const message = unavailableMessage(response);
    expect(message).toContain(`assignment ${assignmentId} stay DELETE_REQUESTED`);
    expect(message).toContain('hourly reconcile also re-sends');
    expect(message).not.toContain('retry with RedeployPermissionSetAssignment');
    expect(await statusesOf(set.Id)).toEqual({ [assignmentId]: 'DELETE_REQUESTED' });
    expect(deploymentStatuses(await f.h.snapshot(), assignmentId)).toEqual([
      'DELETE_REQUESTED',
      'DELETE_REQUESTED',
    ]);
  });
});
