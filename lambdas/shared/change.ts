import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import type { ServiceDeps } from '@/lambdas/shared/deps';
import { ConcurrentModificationError, type DomainError, ValidationError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { errorFields } from '@/lambdas/shared/logger';
import type { Caller, OperationId } from '@/lambdas/shared/permissions';
import { sleep } from '@/lambdas/shared/store';
import { taskPut } from '@/lambdas/shared/tasks';

/**
 * How a change is committed: plan it from a fresh read, write its audit event, then
 * write it — every item and its task — in ONE TransactWriteItems, all or nothing.
 *
 * - "No audit event, no change": the event is written before the transaction; if that
 *   write fails the request fails and nothing is written. If the transaction then fails,
 *   a FAILURE event follows.
 * - Optimistic concurrency: plans put `Version` conditions on the items they read. When
 *   one fails (or DynamoDB reports a transaction conflict), the plan is made again from a
 *   fresh read and retried, so two parallel changes both land and neither is lost.
 */

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/** Stax task operations (the spec's `Operation`) that staxid records. */
export type TaskOperation =
  | 'teams:CreateGroup'
  | 'teams:UpdateGroup'
  | 'teams:DeleteGroup'
  | 'teams:UpdateGroupMembers'
  | 'accounts:CreateAccountType'
  | 'accounts:UpdateAccountType'
  | 'accounts:DeleteAccountType'
  | 'accounts:UpdateAccountTypeAccess'
  | 'accounts:UpdateAccountTypeMembers'
  | 'accounts:DiscoverAccounts';

export interface TxStep {
  readonly item: TransactItem;
  /**
   * The error when this step's condition fails for a reason a fresh read would not show
   * (a unique name taken). Without it, a failed condition means a concurrent change: the
   * plan is made again.
   */
  readonly onConditionFailed?: () => DomainError;
}

export interface ChangePlan<R> {
  readonly steps: readonly TxStep[];
  /** What the operation returns when the change is committed. */
  readonly result: R;
  /** The task's log lines. */
  readonly logs: readonly string[];
  /** Ids the task reports (tasks.ReadTask `Users`, `Accounts`). */
  readonly users?: readonly string[];
  readonly accounts?: readonly string[];
  /** What the change is about, for the audit event. */
  readonly targets: readonly AuditTarget[];
  /** Safe facts for the audit event. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface ChangeRequest {
  readonly caller: Caller;
  readonly requestId: string;
  /** The API operation (`teams.CreateGroup`): the audit event's type. */
  readonly operationId: OperationId;
  readonly taskOperation: TaskOperation;
}

export interface ChangeResult<R> {
  readonly result: R;
  readonly taskId: string;
}

const MAX_ATTEMPTS = 8;

/** Refuses a change that would not fit in one transaction, naming the field to shorten. */
export function assertFitsTransaction(items: number, field: string, what: string): void {
  if (items > MAX_TRANSACTION_ITEMS) {
    throw new ValidationError(
      field,
      `this change would write ${items} items (${what}), but one all-or-nothing change holds at most ${MAX_TRANSACTION_ITEMS} (DynamoDB's transaction limit): split it into smaller requests`,
    );
  }
}

export async function runChange<R>(
  deps: ServiceDeps,
  request: ChangeRequest,
  prepare: () => Promise<ChangePlan<R>>,
): Promise<ChangeResult<R>> {
  const taskId = newId();
  let plan = await prepare();
  assertFitsTransaction(plan.steps.length + 1, 'Body', 'including its task');
  // Throws AuditWriteError: the request fails before anything is written.
  const intentEventId = await auditIntent(deps, request, taskId, plan);
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await commitSteps(deps, [...plan.steps, taskStep(deps, request, taskId, plan)], plan);
      if (outcome === 'committed') return { result: plan.result, taskId };
      if (attempt >= MAX_ATTEMPTS) throw outcome;
      await backoff(attempt);
      plan = await prepare();
      assertFitsTransaction(plan.steps.length + 1, 'Body', 'including its task');
    }
  } catch (error) {
    await auditFailure(deps, request, intentEventId, taskId, error);
    throw error;
  }
}

/** Waits a little longer at each attempt, with jitter, so that racing requests spread out. */
export function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * 20 * 2 ** Math.min(attempt, 5));
}

/** Writes the change's audit event before it is committed; returns the event's id. */
export async function auditIntent(
  deps: ServiceDeps,
  request: ChangeRequest,
  taskId: string,
  about: { readonly targets: readonly AuditTarget[]; readonly detail?: Readonly<Record<string, unknown>> },
): Promise<string> {
  const event = auditEvent({
    type: request.operationId,
    actor: request.caller,
    targets: about.targets,
    outcome: 'SUCCESS',
    detail: { ...about.detail, taskId },
    requestId: request.requestId,
    time: deps.clock.now(),
  });
  await deps.audit.write(event);
  return event.eventId;
}

/** The Put that records the change's task; the last step of its (last) transaction. */
export function taskStep(
  deps: ServiceDeps,
  request: ChangeRequest,
  taskId: string,
  task: {
    readonly logs: readonly string[];
    readonly users?: readonly string[];
    readonly accounts?: readonly string[];
  },
): TxStep {
  return {
    item: taskPut(deps.db, deps.clock, {
      id: taskId,
      operation: request.taskOperation,
      logs: task.logs,
      ...(task.users && { users: task.users }),
      ...(task.accounts && { accounts: task.accounts }),
      createdBy: request.caller.id,
    }),
  };
}

/**
 * Writes steps in one transaction. Returns the error to give up with when it lost a race
 * (a Version condition failed, or DynamoDB saw a conflicting transaction); throws a step's
 * own error (a name taken) or anything unexpected.
 */
export async function commitSteps(
  deps: ServiceDeps,
  steps: readonly TxStep[],
  about: { readonly targets: readonly AuditTarget[] },
): Promise<'committed' | ConcurrentModificationError> {
  try {
    await deps.db.doc.send(new TransactWriteCommand({ TransactItems: steps.map((step) => step.item) }));
    return 'committed';
  } catch (error) {
    if (!(error instanceof TransactionCanceledException) && !isNamed(error, 'TransactionCanceledException')) {
      throw error;
    }
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    for (const [index, reason] of reasons.entries()) {
      if (reason.Code !== 'ConditionalCheckFailed') continue;
      const final = steps[index]?.onConditionFailed?.();
      if (final) throw final;
    }
    const target = about.targets[0];
    return new ConcurrentModificationError(target?.type ?? 'item', target?.id ?? 'unknown');
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

export async function auditFailure(
  deps: ServiceDeps,
  request: ChangeRequest,
  intentEventId: string,
  taskId: string,
  error: unknown,
): Promise<void> {
  try {
    await deps.audit.write(
      auditEvent({
        type: request.operationId,
        actor: request.caller,
        outcome: 'FAILURE',
        detail: {
          taskId,
          intentEventId,
          reason: error instanceof Error ? ('code' in error && String(error.code)) || error.name : 'unknown',
          ...(error instanceof Error && 'status' in error && { message: error.message }),
        },
        requestId: request.requestId,
        time: deps.clock.now(),
      }),
    );
  } catch (auditError) {
    deps.logger.error('could not write the FAILURE audit event of a failed change', {
      requestId: request.requestId,
      taskId,
      ...errorFields(auditError),
    });
  }
}

/** The `Detail` of the spec's task envelopes (CreateGroupEvent, UpdateAccountTypeAccessEvent, ...). */
export function taskDetail(operation: TaskOperation, taskId: string, message: string) {
  return {
    Message: message,
    Operation: operation,
    OperationStatus: 'SUCCEEDED' as const,
    Severity: 'INFO',
    TaskId: taskId,
  };
}
