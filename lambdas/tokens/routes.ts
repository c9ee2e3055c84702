import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of API tokens, the OAuth 2.0 token endpoint and its discovery documents. */
export const TOKEN_ROUTES: readonly RouteDefinition[] = [];
