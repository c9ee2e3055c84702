import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of groups and their members. */
export const GROUP_ROUTES: readonly RouteDefinition[] = [];
