/**
 * Every HTTP route staxid serves, in one table. The Identity stack builds the
 * REST API from it (one Lambda per handler file), the local runtime serves the
 * same handlers from it, and GET /openapi.json is generated from it, so the three
 * cannot drift apart.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `none`: public. `bearer`: a JWT checked by the Lambda authorizer before the handler runs. */
export type RouteAuth = 'none' | 'bearer';

export interface RouteDefinition {
  /** Stable identifier, also the OpenAPI operationId. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/20190206/users/{user_id}`. */
  readonly path: string;
  /** The handler file, relative to the repository root; it exports `handler`. */
  readonly handler: string;
  readonly auth: RouteAuth;
  readonly summary: string;
  /** OpenAPI tag the operation is listed under. */
  readonly tag: string;
}

export const ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'ReadHealth',
    method: 'GET',
    path: '/health',
    handler: 'lambdas/meta/health.ts',
    auth: 'none',
    summary: 'Liveness of the service: its name and version.',
    tag: 'Service',
  },
  {
    operationId: 'ReadOpenApiDocument',
    method: 'GET',
    path: '/openapi.json',
    handler: 'lambdas/meta/openapi.ts',
    auth: 'none',
    summary: "The service's own OpenAPI 3 document.",
    tag: 'Service',
  },
];

/** The handler files behind the routes, each once, in a stable order. */
export function handlerFiles(routes: readonly RouteDefinition[] = ROUTES): string[] {
  return [...new Set(routes.map((route) => route.handler))].sort();
}
