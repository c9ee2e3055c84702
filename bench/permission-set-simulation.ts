/**
 * The 1,000-account simulation of permission-set deployments (issue 6): the real worker
 * (lambdas/deployments/worker.ts, run-deployment.ts, converge.ts) consumes an in-process FIFO
 * queue (message groups per AWS account, batches of 10, failed messages redelivered) with
 * `concurrency` workers, against in-memory member accounts (MemoryAccountIam) that answer a
 * share of IAM calls with `Throttling`, and in-memory deployment items (the table's items,
 * kept in Maps with the same conditional-Version semantics). `npm run bench` reports the IAM
 * calls per account and the time.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { AccountIam, AccountIamProvider } from '@/lambdas/deployments/account-iam';
import type {
  AssignmentItem,
  DeploymentItem,
  DeploymentStatus,
  DeploymentStore,
  PermissionSetItem,
} from '@/lambdas/deployments/deployment-store';
import { iamError, MemoryAccountIam } from '@/lambdas/deployments/memory-iam';
import { DEPLOYMENT_MAX_RECEIVE_COUNT, type DeploymentMessage } from '@/lambdas/deployments/messages';
import type { RoleChange, RoleState } from '@/lambdas/deployments/role-model';
import { createWorker } from '@/lambdas/deployments/worker';
import type { Logger } from '@/lambdas/shared/logger';

export interface SimulationOptions {
  readonly accounts: number;
  /** Assignments (one permission set each) on the one account type that holds every account. */
  readonly assignments: number;
  /** Workers running at once: the event source's maxConcurrency. */
  readonly concurrency: number;
  /** Share of IAM calls answered with Throttling. @default 0.05 */
  readonly throttleRate?: number;
  /** Time each IAM call takes. @default 1 */
  readonly iamLatencyMs?: number;
  /** @default 42 */
  readonly seed?: number;
}

export interface SimulationResult {
  /** Deployments by final status. */
  readonly deployments: Readonly<Partial<Record<DeploymentStatus, number>>>;
  /** IAM calls made per account (reads and writes, throttled ones included). */
  readonly iamCallsPerAccount: number;
  readonly throttledCalls: number;
  readonly redeliveries: number;
  readonly elapsedMs: number;
  /** Most messages being worked on at once: never above `concurrency` × 10. */
  readonly maxInFlight: number;
  /** Most workers running at once: never above `concurrency`. */
  readonly maxWorkers: number;
}

const BATCH_SIZE = 10;
const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Runs the simulation to the end (every message consumed or dead-lettered). */
export async function simulatePermissionSetDeployments(
  options: SimulationOptions,
): Promise<SimulationResult> {
  const random = seededRandom(options.seed ?? 42);
  const store = new MemoryDeploymentStore();
  const iam = new SimulatedOrganization(options.throttleRate ?? 0.05, options.iamLatencyMs ?? 1, random);
  const queue = new SimulatedFifoQueue();
  const requestedAt = '2026-01-01T00:00:00.000Z';
  for (let a = 0; a < options.assignments; a++) {
    const permissionSetId = `ps-${a}`;
    store.permissionSets.set(permissionSetId, permissionSet(permissionSetId, a));
    store.assignments.set(`${permissionSetId}/as-${a}`, {
      Id: `as-${a}`,
      PermissionSetId: permissionSetId,
      AccountTypeId: 'at-1',
      Status: 'CREATE_REQUESTED',
      Version: 1,
    });
  }
  for (let n = 0; n < options.accounts; n++) {
    const awsAccountId = String(100_000_000_000 + n);
    for (let a = 0; a < options.assignments; a++) {
      const message: DeploymentMessage = {
        permissionSetId: `ps-${a}`,
        assignmentId: `as-${a}`,
        awsAccountId,
        action: 'deploy',
        requestedAt,
      };
      await store.putDeployment(
        {
          PermissionSetId: message.permissionSetId,
          AssignmentId: message.assignmentId,
          AwsAccountId: awsAccountId,
          AccountId: `acc-${n}`,
          Status: 'CREATE_REQUESTED',
          RequestedAt: requestedAt,
          ModifiedTS: requestedAt,
          Version: 1,
        },
        undefined,
      );
      queue.send(message);
    }
  }

  const worker = createWorker({
    store,
    iam,
    clock: { now: () => new Date() },
    retry: { baseMs: 2, capMs: 50 },
    logger: SILENT,
  });
  let inFlight = 0;
  let maxInFlight = 0;
  let workers = 0;
  let maxWorkers = 0;
  const started = performance.now();
  const runWorker = async (): Promise<void> => {
    for (let batch = queue.receive(BATCH_SIZE); batch.length > 0; batch = queue.receive(BATCH_SIZE)) {
      workers++;
      inFlight += batch.length;
      maxWorkers = Math.max(maxWorkers, workers);
      maxInFlight = Math.max(maxInFlight, inFlight);
      const response = await worker(sqsEvent(batch));
      const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      queue.settle(batch, failed);
      inFlight -= batch.length;
      workers--;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, runWorker));
  const elapsedMs = performance.now() - started;

  const deployments: Partial<Record<DeploymentStatus, number>> = {};
  for (const item of store.deployments.values())
    deployments[item.Status] = (deployments[item.Status] ?? 0) + 1;
  return {
    deployments,
    iamCallsPerAccount: iam.calls / options.accounts,
    throttledCalls: iam.throttled,
    redeliveries: queue.redeliveries,
    elapsedMs,
    maxInFlight,
    maxWorkers,
  };
}

function permissionSet(id: string, index: number): PermissionSetItem {
  return {
    Id: id,
    Name: `simulated-permission-set-${index}`,
    Description: 'simulation',
    Status: 'ACTIVE',
    AWSManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    InlinePolicies: [
      {
        Name: 'inline',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      },
    ],
    MaxSessionDuration: 3600,
    Tags: { CostCode: String(index) },
  };
}

interface QueuedMessage {
  readonly id: string;
  readonly message: DeploymentMessage;
  receiveCount: number;
}

/**
 * SQS FIFO as the worker sees it: messages of a group are received in order, and never while
 * another message of the group is in flight; a failed message goes back to its group's head
 * (with the rest of the batch's messages of that group), and after the last receive it is
 * dead-lettered.
 */
class SimulatedFifoQueue {
  private readonly groups = new Map<string, QueuedMessage[]>();
  private readonly busy = new Set<string>();
  private nextId = 0;
  redeliveries = 0;
  readonly deadLetters: QueuedMessage[] = [];

  send(message: DeploymentMessage): void {
    const group = this.groups.get(message.awsAccountId) ?? [];
    group.push({ id: `m-${this.nextId++}`, message, receiveCount: 0 });
    this.groups.set(message.awsAccountId, group);
  }

  receive(max: number): QueuedMessage[] {
    const batch: QueuedMessage[] = [];
    for (const [groupId, group] of this.groups) {
      if (batch.length >= max) break;
      if (this.busy.has(groupId)) continue;
      this.busy.add(groupId);
      const taken = group.splice(0, max - batch.length);
      if (group.length === 0) this.groups.delete(groupId);
      for (const queued of taken) queued.receiveCount++;
      batch.push(...taken);
    }
    return batch;
  }

  settle(batch: readonly QueuedMessage[], failed: ReadonlySet<string>): void {
    const back = new Map<string, QueuedMessage[]>();
    for (const queued of batch) {
      const groupId = queued.message.awsAccountId;
      this.busy.delete(groupId);
      if (!failed.has(queued.id)) continue;
      if (queued.receiveCount >= DEPLOYMENT_MAX_RECEIVE_COUNT) {
        this.deadLetters.push(queued);
        continue;
      }
      this.redeliveries++;
      back.set(groupId, [...(back.get(groupId) ?? []), queued]);
    }
    for (const [groupId, messages] of back)
      this.groups.set(groupId, [...messages, ...(this.groups.get(groupId) ?? [])]);
  }
}

function sqsEvent(batch: readonly QueuedMessage[]): SQSEvent {
  return {
    Records: batch.map(
      (queued): SQSRecord => ({
        messageId: queued.id,
        receiptHandle: queued.id,
        body: JSON.stringify(queued.message),
        attributes: {
          ApproximateReceiveCount: String(queued.receiveCount),
          SentTimestamp: '0',
          SenderId: 'simulation',
          ApproximateFirstReceiveTimestamp: '0',
          MessageGroupId: queued.message.awsAccountId,
          MessageDeduplicationId: queued.id,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:simulation.fifo',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

/** Member accounts in memory; every call takes `latencyMs`, and a share of them is throttled. */
class SimulatedOrganization implements AccountIamProvider {
  readonly partition = 'aws';
  private readonly accounts = new Map<string, AccountIam>();
  calls = 0;
  throttled = 0;

  constructor(
    private readonly throttleRate: number,
    private readonly latencyMs: number,
    private readonly random: () => number,
  ) {}

  async account(awsAccountId: string): Promise<AccountIam> {
    let account = this.accounts.get(awsAccountId);
    if (!account) {
      const roles = new MemoryAccountIam();
      account = {
        readRole: (name: string) => this.call(() => roles.readRole(name), 5),
        apply: (role: RoleState, change: RoleChange) => this.call(() => roles.apply(role, change), 1),
      };
      this.accounts.set(awsAccountId, account);
    }
    return account;
  }

  /** `weight`: the IAM calls it stands for (reading a role is GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies, ListRoleTags). */
  private async call<T>(run: () => Promise<T>, weight: number): Promise<T> {
    this.calls += weight;
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.random() < this.throttleRate) {
      this.throttled++;
      throw iamError('Throttling', 'Rate exceeded (simulated)');
    }
    return run();
  }
}

/** The deployment store's items in Maps, with the table's conditional-Version semantics. */
class MemoryDeploymentStore implements DeploymentStore {
  readonly permissionSets = new Map<string, PermissionSetItem>();
  readonly assignments = new Map<string, AssignmentItem>();
  readonly deployments = new Map<string, DeploymentItem>();
  private readonly byAssignment = new Map<string, Set<string>>();

  async getPermissionSet(permissionSetId: string) {
    return this.permissionSets.get(permissionSetId);
  }

  async getDeployment(permissionSetId: string, assignmentId: string, awsAccountId: string) {
    return this.deployments.get(`${permissionSetId}/${assignmentId}/${awsAccountId}`);
  }

  async putDeployment(item: DeploymentItem, expectedVersion: number | undefined): Promise<boolean> {
    const assignmentKey = `${item.PermissionSetId}/${item.AssignmentId}`;
    const key = `${assignmentKey}/${item.AwsAccountId}`;
    if (this.deployments.get(key)?.Version !== expectedVersion) return false;
    this.deployments.set(key, item);
    const keys = this.byAssignment.get(assignmentKey) ?? new Set();
    keys.add(key);
    this.byAssignment.set(assignmentKey, keys);
    return true;
  }

  async getAssignment(permissionSetId: string, assignmentId: string) {
    return this.assignments.get(`${permissionSetId}/${assignmentId}`);
  }

  async deploymentStatuses(permissionSetId: string, assignmentId: string): Promise<DeploymentStatus[]> {
    const keys = this.byAssignment.get(`${permissionSetId}/${assignmentId}`) ?? new Set<string>();
    return [...keys].flatMap((key) => {
      const item = this.deployments.get(key);
      return item ? [item.Status] : [];
    });
  }

  async deploymentsInAccount(permissionSetId: string, awsAccountId: string): Promise<DeploymentItem[]> {
    return [...this.deployments.values()].filter(
      (item) => item.PermissionSetId === permissionSetId && item.AwsAccountId === awsAccountId,
    );
  }

  /** The simulated organization's accounts are all members. */
  async accountRole(): Promise<string | undefined> {
    return 'MEMBER';
  }

  async setAssignmentStatus(assignment: AssignmentItem, status: DeploymentStatus): Promise<boolean> {
    const key = `${assignment.PermissionSetId}/${assignment.Id}`;
    const stored = this.assignments.get(key);
    if (!stored || stored.Version !== assignment.Version) return false;
    this.assignments.set(key, { ...stored, Status: status, Version: (stored.Version ?? 0) + 1 });
    return true;
  }
}

/** Mulberry32: a small seeded generator, so a run's throttling is repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
