import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock, Db } from '@/lambdas/shared/db';
import { NotFoundError } from '@/lambdas/shared/errors';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { numberAttr, stringAttr, stringListAttr } from '@/lambdas/shared/store';

/**
 * tasks.ReadTask: the task a change recorded in its own transaction (lambdas/shared/tasks.ts).
 * staxid does the work before it answers, so a task that exists has SUCCEEDED. A task is
 * readable for TASK_RETENTION_DAYS; after that it is gone, even if DynamoDB has not yet
 * deleted the item.
 */
export async function readTask(deps: { readonly db: Db; readonly clock: Clock }, taskId: string) {
  const { Item: item } = await deps.db.doc.send(
    new GetCommand({
      TableName: deps.db.tableName,
      Key: entityKey(ENTITY.task, taskId),
      ConsistentRead: true,
    }),
  );
  const expires = item ? numberAttr(item, 'ttl') : undefined;
  if (!item || (expires !== undefined && expires * 1000 <= deps.clock.now().getTime())) {
    throw new NotFoundError('Task', taskId);
  }
  const users = stringListAttr(item, 'Users');
  const accounts = stringListAttr(item, 'Accounts');
  const status = stringAttr(item, 'Status');
  return {
    Status:
      status === 'FAILED' || status === 'RUNNING' || status === 'STARTED' || status === 'PENDING'
        ? status
        : 'SUCCEEDED',
    Logs: stringListAttr(item, 'Logs'),
    ...(users.length > 0 && { Users: users }),
    ...(accounts.length > 0 && { Accounts: accounts }),
  };
}
