import { apiHandler } from '@/lambdas/shared/api';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once } from '@/lambdas/shared/deps';
import { assertKnownQuery, uuidParam } from '@/lambdas/shared/input';
import { readTask } from '@/lambdas/tasks/tasks';

/** GET /20190206/task/{task_id} (tasks.ReadTask) */
export function readTaskHandler(deps: () => { readonly db: Db; readonly clock: Clock }) {
  return apiHandler({ operationId: 'tasks.ReadTask' }, async ({ pathParameters, query }) => {
    const taskId = uuidParam(pathParameters, 'task_id');
    assertKnownQuery(query, []);
    return { body: await readTask(deps(), taskId) };
  });
}

export const handler = readTaskHandler(once(() => ({ db: dbFromEnv(), clock: systemClock })));
