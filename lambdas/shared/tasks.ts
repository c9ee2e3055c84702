import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';

/**
 * Tasks: the Stax API reports changes as tasks. staxid does the work before it answers,
 * so every task it records has already SUCCEEDED; the task item is written in the same
 * transaction as the change, so a task exists exactly when its work was done.
 */

/** How long a task stays readable through GET /20190206/task/{id}. */
export const TASK_RETENTION_DAYS = 30;

export interface TaskInput {
  readonly id: string;
  /** Stax Operation name, e.g. `teams:CreateUser`. */
  readonly operation: string;
  /** Human-readable lines describing what was done. */
  readonly logs: readonly string[];
  readonly users?: readonly string[];
  readonly accounts?: readonly string[];
  /** Who asked for it: the caller's id. */
  readonly createdBy: string;
}

export interface TaskItem {
  readonly Id: string;
  readonly Operation: string;
  readonly Status: 'SUCCEEDED';
  readonly Logs: readonly string[];
  readonly Users?: readonly string[];
  readonly Accounts?: readonly string[];
  readonly CreatedBy: string;
  readonly CreatedTS: string;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The Put that records a finished task; add it to the transaction that does the work. */
export function taskPut(db: Db, clock: Clock, task: TaskInput): TransactItem {
  const now = clock.now();
  const item: TaskItem & Record<string, unknown> = {
    ...entityKey(ENTITY.task, task.id),
    Id: task.id,
    Operation: task.operation,
    Status: 'SUCCEEDED',
    Logs: task.logs,
    ...(task.users && task.users.length > 0 && { Users: task.users }),
    ...(task.accounts && task.accounts.length > 0 && { Accounts: task.accounts }),
    CreatedBy: task.createdBy,
    CreatedTS: now.toISOString(),
    ttl: Math.floor(now.getTime() / 1000) + TASK_RETENTION_DAYS * 86400,
  };
  return { Put: { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } };
}
