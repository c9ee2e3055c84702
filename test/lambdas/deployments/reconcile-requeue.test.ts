import type { AccountIamProvider } from '@/lambdas/deployments/account-iam';
import { DynamoDeploymentStore } from '@/lambdas/deployments/deployment-store';
import {
  ABANDONED_AFTER_MINUTES,
  type DeploymentMessage,
  type DeploymentQueue,
} from '@/lambdas/deployments/messages';
import { MAX_ABANDONED_RESENDS, requeueStalledDeployments } from '@/lambdas/deployments/reconcile';
import { runDeployment } from '@/lambdas/deployments/run-deployment';
import { deploymentsOf } from '@/lambdas/permission-sets/assignments';
import { createAssignmentsHandler } from '@/lambdas/permission-sets/create-assignments';
import { deleteAssignmentHandler } from '@/lambdas/permission-sets/delete-assignment';
import { REQUEUE_AFTER_MINUTES } from '@/lambdas/permission-sets/deployments-not-queued';
import type { Logger } from '@/lambdas/shared/logger';
import {
  createFixture,
  type Fixture,
  MemoryDeploymentQueue,
  memoryAccounts,
  newPermissionSet,
  putAccountType,
  putGroup,
} from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke, READONLY } from '@/test/support/api-event';

/**
 * A deployment queue outage heals without a human: deployments the API left `*_REQUESTED`
 * (its enqueue failed, a 503) are sent again by the hourly run once they have waited
 * REQUEUE_AFTER_MINUTES, and the worker then converges them.
 */

/** A queue that refuses everything while `down`, and records what it accepts. */
class FlakyQueue implements DeploymentQueue {
  down = true;
  readonly accepted = new MemoryDeploymentQueue();

  async enqueue(messages: readonly DeploymentMessage[]): Promise<void> {
    if (this.down) throw Object.assign(new Error('queue unavailable'), { name: 'ServiceUnavailable' });
    await this.accepted.enqueue(messages);
  }
}

const errors: unknown[][] = [];
const logger: Logger = { info: () => {}, warn: () => {}, error: (...args: unknown[]) => errors.push(args) };

let f: Fixture;
let queue: FlakyQueue;
let handlers: {
  createAssignments: ReturnType<typeof createAssignmentsHandler>;
  deleteAssignment: ReturnType<typeof deleteAssignmentHandler>;
};
const { iam, accounts } = memoryAccounts();

beforeAll(async () => {
  f = await createFixture();
  queue = new FlakyQueue();
  const deps = () => ({ ...f.deps(), queue });
  handlers = {
    createAssignments: createAssignmentsHandler(deps),
    deleteAssignment: deleteAssignmentHandler(deps),
  };
});
afterAll(() => f.h.drop());
beforeEach(() => {
  queue.down = true;
  queue.accepted.take();
  errors.length = 0;
});

function minutesAfterNow(minutes: number) {
  const at = new Date(f.h.clock.now().getTime() + minutes * 60_000);
  return { now: () => at };
}

function requeueAt(minutes: number) {
  return requeueStalledDeployments({
    db: f.h.deps.db,
    store: new DynamoDeploymentStore(f.h.deps.db),
    queue,
    clock: minutesAfterNow(minutes),
    logger,
  });
}

async function runAll(messages: readonly DeploymentMessage[]) {
  const deps = { store: new DynamoDeploymentStore(f.h.deps.db), iam, clock: f.h.clock };
  return Promise.all(messages.map((message) => runDeployment(deps, message, false)));
}

/**
 * Starts every message's run on its last delivery and kills the worker once the run has
 * marked its item `*_IN_PROGRESS` (the IAM client never answers, as when Lambda times out):
 * nobody will record the outcome, and SQS will not deliver the message again.
 */
async function killedOnLastDelivery(messages: readonly DeploymentMessage[]): Promise<void> {
  let reachedIam = 0;
  let allReached = () => {};
  const reached = new Promise<void>((resolve) => {
    allReached = resolve;
  });
  const killed: AccountIamProvider = {
    partition: 'aws',
    account: () => {
      reachedIam += 1;
      if (reachedIam === messages.length) allReached();
      return new Promise(() => {});
    },
  };
  const deps = { store: new DynamoDeploymentStore(f.h.deps.db), iam: killed, clock: f.h.clock };
  for (const message of messages) void runDeployment(deps, message, true);
  await reached;
}

async function deploymentStatuses(setId: string, assignmentId: string): Promise<string[]> {
  return new DynamoDeploymentStore(f.h.deps.db).deploymentStatuses(setId, assignmentId);
}

async function assignmentStatus(setId: string, assignmentId: string): Promise<string | undefined> {
  const listed = await invoke(f.handlers.listAssignments, {
    caller: READONLY,
    pathParameters: { permission_set_id: setId },
  });
  const { Assignments } = listed.body as { Assignments: { Id: string; Status: string }[] };
  return Assignments.find((assignment) => assignment.Id === assignmentId)?.Status;
}

/** An assignment made while the queue is down (503): its deployments stay CREATE_REQUESTED. */
async function stalledAssignment(setId: string) {
  const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE']);
  const response = await invoke(handlers.createAssignments, {
    method: 'POST',
    caller: ADMIN,
    pathParameters: { permission_set_id: setId },
    body: [{ AccountTypeId: type.id, GroupId: await putGroup(f.h) }],
  });
  expect(response.status).toBe(503);
  const listed = await invoke(f.handlers.listAssignments, {
    caller: READONLY,
    pathParameters: { permission_set_id: setId },
  });
  const [assignment] = (listed.body as { Assignments: { Id: string; Status: string }[] }).Assignments;
  expect(assignment?.Status).toBe('CREATE_REQUESTED');
  return { assignmentId: assignment?.Id ?? '', awsAccountIds: type.accounts.map((a) => a.AwsAccountId) };
}

describe('requeueStalledDeployments', () => {
  it('leaves a request younger than the threshold alone, then re-sends it and the worker converges it', async () => {
    const set = await newPermissionSet(f, 'Stalled');
    const { assignmentId, awsAccountIds } = await stalledAssignment(set.Id);
    queue.down = false;

    expect(await requeueAt(REQUEUE_AFTER_MINUTES - 1)).toEqual({ requeued: 0, failed: 0, gaveUp: 0 });
    expect(queue.accepted.take()).toEqual([]);

    expect(await requeueAt(REQUEUE_AFTER_MINUTES + 1)).toMatchObject({ failed: 0 });
    const resent = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
    expect(resent.map((m) => [m.assignmentId, m.awsAccountId, m.action]).sort()).toEqual(
      awsAccountIds.map((id) => [assignmentId, id, 'deploy']).sort(),
    );

    expect((await runAll(resent)).map((outcome) => outcome.result)).toEqual(['complete', 'complete']);
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DEPLOYMENT_COMPLETE');
    for (const id of awsAccountIds) expect(accounts.get(id)?.roles.has(set.Name)).toBe(true);

    await requeueAt(REQUEUE_AFTER_MINUTES + 1);
    expect(queue.accepted.take().filter((message) => message.permissionSetId === set.Id)).toEqual([]);
  });

  it('re-sends the removal of a deleted permission set’s roles, left DELETE_REQUESTED by an outage', async () => {
    const set = await newPermissionSet(f, 'Stalled');
    const { assignmentId, awsAccountIds } = await stalledAssignment(set.Id);
    queue.down = false;
    await requeueAt(REQUEUE_AFTER_MINUTES + 1);
    await runAll(queue.accepted.take().filter((message) => message.permissionSetId === set.Id));
    queue.down = true;
    const deleted = await invoke(handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });
    expect(deleted.status).toBe(503);
    const removed = await invoke(f.handlers.remove, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id },
    });
    expect(removed.status).toBe(200);
    queue.down = false;

    await requeueAt(REQUEUE_AFTER_MINUTES + 1);
    const resent = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
    expect(resent.map((message) => message.action)).toEqual(['delete', 'delete']);

    await runAll(resent);
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DELETE_COMPLETE');
    for (const id of awsAccountIds) expect(accounts.get(id)?.roles.has(set.Name)).toBe(false);
  });

  it('re-sends deployments a worker killed on the last delivery left IN_PROGRESS, and the worker converges them', async () => {
    const set = await newPermissionSet(f, 'Stalled');
    const { assignmentId, awsAccountIds } = await stalledAssignment(set.Id);
    queue.down = false;
    await requeueAt(REQUEUE_AFTER_MINUTES + 1);
    await killedOnLastDelivery(queue.accepted.take().filter((message) => message.permissionSetId === set.Id));
    expect(await deploymentStatuses(set.Id, assignmentId)).toEqual([
      'DEPLOYMENT_IN_PROGRESS',
      'DEPLOYMENT_IN_PROGRESS',
    ]);

    // Younger than the threshold, a run may still be alive or a delivery still owed: left alone.
    await requeueAt(ABANDONED_AFTER_MINUTES - 1);
    expect(queue.accepted.take().filter((message) => message.permissionSetId === set.Id)).toEqual([]);
    await requeueAt(ABANDONED_AFTER_MINUTES + 1);
    const redeploy = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
    expect(redeploy.map((m) => [m.awsAccountId, m.action]).sort()).toEqual(
      awsAccountIds.map((id) => [id, 'deploy']).sort(),
    );
    expect((await runAll(redeploy)).map((outcome) => outcome.result)).toEqual(['complete', 'complete']);
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DEPLOYMENT_COMPLETE');
    for (const id of awsAccountIds) expect(accounts.get(id)?.roles.has(set.Name)).toBe(true);

    // The same for a removal left DELETE_IN_PROGRESS.
    const deleted = await invoke(handlers.deleteAssignment, {
      method: 'DELETE',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });
    expect(deleted.status).toBe(200);
    await killedOnLastDelivery(queue.accepted.take().filter((message) => message.permissionSetId === set.Id));
    expect(await deploymentStatuses(set.Id, assignmentId)).toEqual([
      'DELETE_IN_PROGRESS',
      'DELETE_IN_PROGRESS',
    ]);
    await requeueAt(ABANDONED_AFTER_MINUTES + 1);
    const removal = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
    expect(removal.map((message) => message.action)).toEqual(['delete', 'delete']);
    await runAll(removal);
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DELETE_COMPLETE');
    for (const id of awsAccountIds) expect(accounts.get(id)?.roles.has(set.Name)).toBe(false);
  });

  it('records a run that kills its worker every time as failed after MAX_ABANDONED_RESENDS re-sends, and a redeploy starts afresh', async () => {
    const set = await newPermissionSet(f, 'Stalled');
    const { assignmentId, awsAccountIds } = await stalledAssignment(set.Id);
    queue.down = false;
    await requeueAt(REQUEUE_AFTER_MINUTES + 1);
    let messages = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
    for (let resend = 1; resend <= MAX_ABANDONED_RESENDS; resend++) {
      await killedOnLastDelivery(messages);
      await requeueAt(ABANDONED_AFTER_MINUTES + 1);
      messages = queue.accepted.take().filter((message) => message.permissionSetId === set.Id);
      expect(messages).toHaveLength(awsAccountIds.length);
    }
    await killedOnLastDelivery(messages);

    const summary = await requeueAt(ABANDONED_AFTER_MINUTES + 1);
    expect(summary.gaveUp).toBe(awsAccountIds.length);
    expect(queue.accepted.take().filter((message) => message.permissionSetId === set.Id)).toEqual([]);
    const deployments = await deploymentsOf(f.h.deps.db, set.Id, assignmentId);
    expect(deployments.map((deployment) => deployment.Status)).toEqual([
      'DEPLOYMENT_FAILED',
      'DEPLOYMENT_FAILED',
    ]);
    expect(deployments[0]?.StatusReason).toMatch(
      /worker was stopped .* 4 times in a row.*RedeployPermissionSetAssignment/,
    );
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DEPLOYMENT_FAILED');
    expect(errors.map(([message]) => message)).toContain(
      'permission set deployment abandoned too often: recorded as failed',
    );

    // A redeploy is a new request: it is not held to the old count, and the worker converges it.
    const redeployed = await invoke(f.handlers.redeploy, {
      method: 'PUT',
      caller: ADMIN,
      pathParameters: { permission_set_id: set.Id, assignment_id: assignmentId },
    });
    expect(redeployed.status).toBe(200);
    const fresh = f.queue.take().filter((message) => message.permissionSetId === set.Id);
    expect((await runAll(fresh)).map((outcome) => outcome.result)).toEqual(['complete', 'complete']);
    expect(await assignmentStatus(set.Id, assignmentId)).toBe('DEPLOYMENT_COMPLETE');
  });

  it('counts and logs what it could not re-send while the queue is still down, and does not throw', async () => {
    const set = await newPermissionSet(f, 'Stalled');
    await stalledAssignment(set.Id);

    const summary = await requeueAt(REQUEUE_AFTER_MINUTES + 1);

    expect(summary.requeued).toBe(0);
    expect(summary.failed).toBeGreaterThanOrEqual(2);
    expect(errors.map(([message]) => message)).toContain(
      'stalled deployments not re-sent; the next run tries again',
    );
  });
});
