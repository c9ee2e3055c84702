import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of tasks and the public config. */
export const TASK_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'tasks.ReadTask',
    method: 'GET',
    path: '/20190206/task/{task_id}',
    handler: 'lambdas/tasks/read-task.ts',
    auth: 'bearer',
    summary: 'Fetch the status of a Task and the ids it touched.',
    tag: 'Tasks',
    grants: ['table:read'],
  },
  {
    operationId: 'public.ReadConfig',
    method: 'GET',
    path: '/20190206/public/config',
    handler: 'lambdas/tasks/read-config.ts',
    auth: 'none',
    summary: 'The configuration a client needs to authenticate (user pool, client id, region, API endpoint).',
    tag: 'Public',
  },
];
