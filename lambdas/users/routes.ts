import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of users (ReadUsers, CreateUser, ...). */
export const USER_ROUTES: readonly RouteDefinition[] = [];
