import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of tasks and the public config. */
export const TASK_ROUTES: readonly RouteDefinition[] = [];
