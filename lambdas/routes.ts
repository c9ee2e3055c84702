/**
 * Every HTTP route staxid serves, in one table. The Identity stack builds the
 * REST API from it (one Lambda per handler file), the local runtime serves the
 * same handlers from it, and GET /openapi.json is generated from it, so the three
 * cannot drift apart.
 */

import { ACCOUNT_ROUTES } from '@/lambdas/accounts/routes';
import { AUDIT_ROUTES } from '@/lambdas/audit/query/routes';
import { AWS_ROUTES } from '@/lambdas/aws/routes';
import { GROUP_ROUTES } from '@/lambdas/groups/routes';
import { PERMISSION_SET_ROUTES } from '@/lambdas/permission-sets/routes';
import { SCIM_ROUTES } from '@/lambdas/scim/routes';
import { SIGNIN_ROUTES } from '@/lambdas/signin/routes';
import { SUPPORT_ROUTES } from '@/lambdas/support/routes';
import { TASK_ROUTES } from '@/lambdas/tasks/routes';
import { TOKEN_ROUTES } from '@/lambdas/tokens/routes';
import { USER_ROUTES } from '@/lambdas/users/routes';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `none`: public. `bearer`: a JWT checked by the Lambda authorizer before the handler runs. */
export type RouteAuth = 'none' | 'bearer';

/**
 * What a route's function may touch in AWS; the Identity stack turns each into the
 * narrowest grant (and environment variable) it needs, so a function gets nothing more.
 */
export type RouteGrant =
  /** GetItem/Query/BatchGet on the table and its indexes. */
  | 'table:read'
  /** PutItem of audit outbox items (`AUDIT#…`) only: for functions that otherwise only read. */
  | 'audit:record'
  /** read plus Put/Update/Delete/TransactWrite (audit outbox items included). */
  | 'table:write'
  /** Cognito admin user management on the user pool (AdminCreateUser, AdminDisableUser, ...). */
  | 'userpool:admin'
  /** Only what SCIM does to a pool user: disable (with global sign-out), enable, delete. */
  | 'userpool:scim'
  /** kms:Sign with the token-signing key, kms:GetPublicKey. */
  | 'token-key:sign'
  /** kms:GenerateMac with the HMAC key that hashes API token secrets. */
  | 'token-hash:mac'
  /** kms:GetPublicKey on the token-signing key (JWKS). */
  | 'token-key:read'
  /** organizations:ListAccounts through the management account. */
  | 'organizations:read'
  /**
   * kms:Sign and kms:GetPublicKey on the SAML signing key(s): assertions (AWS sign-in only;
   * the metadata's certificates are signed at deploy time, ADR 0011).
   */
  | 'saml-key:sign'
  /**
   * kms:GetPublicKey and kms:DescribeKey on the SAML signing key(s), and GetItem of the stored
   * certificates (`SAMLCERT`): the public metadata publishes certificates it cannot sign.
   */
  | 'saml-key:read'
  /** The direct audit sink: the event is in the Audit bucket before the answer (AWS sign-in; ADR 0010). */
  | 'audit:write'
  /** Reads the audit trail, and member accounts' CloudTrail, through staxid-audit-reader (ADR 0014). */
  | 'audit:read'
  /** sqs:SendMessage on the permission-set deployment FIFO queue (ADR 0018). */
  | 'deployments:enqueue';

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
  /** @default none */
  readonly grants?: readonly RouteGrant[];
}

const SERVICE_ROUTES: readonly RouteDefinition[] = [
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

export const ROUTES: readonly RouteDefinition[] = [
  ...SERVICE_ROUTES,
  ...USER_ROUTES,
  ...GROUP_ROUTES,
  ...ACCOUNT_ROUTES,
  ...TOKEN_ROUTES,
  ...TASK_ROUTES,
  ...AWS_ROUTES,
  ...SIGNIN_ROUTES,
  ...SUPPORT_ROUTES,
  ...AUDIT_ROUTES,
  ...PERMISSION_SET_ROUTES,
  ...SCIM_ROUTES,
];

/** The handler files behind the routes, each once, in a stable order. */
export function handlerFiles(routes: readonly RouteDefinition[] = ROUTES): string[] {
  return [...new Set(routes.map((route) => route.handler))].sort();
}
