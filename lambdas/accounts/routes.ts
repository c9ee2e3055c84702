import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of account types, their access, accounts and discovery. */
export const ACCOUNT_ROUTES: readonly RouteDefinition[] = [];
