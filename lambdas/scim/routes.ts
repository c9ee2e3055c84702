import type { RouteDefinition } from '@/lambdas/routes';

const SCIM_HANDLER = 'lambdas/scim/scim-api.ts';
/**
 * The SCIM function writes users and groups and disables, enables and deletes their pool
 * users (never creates them or sets passwords); it hashes the presented token to check it.
 */
const SCIM_GRANTS = ['table:write', 'userpool:scim', 'token-hash:mac'] as const;

/** One SCIM route: unauthenticated at the gateway, the handler checks the SCIM bearer token itself. */
function scimRoute(
  operationId: string,
  method: RouteDefinition['method'],
  path: string,
  summary: string,
): RouteDefinition {
  return {
    operationId,
    method,
    path,
    handler: SCIM_HANDLER,
    auth: 'none',
    summary,
    tag: 'SCIM',
    grants: SCIM_GRANTS,
  };
}

/** The SCIM 2.0 server (`/scim/v2`, ADR 0015) and the Admin operations on SCIM tokens. */
export const SCIM_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'scim.CreateScimToken',
    method: 'POST',
    path: '/20190206/scim-tokens',
    handler: 'lambdas/scim/create-scim-token.ts',
    auth: 'bearer',
    summary:
      'Create a SCIM token (at most 2, expired ones included, until deleted; ExpiresInDays 1–365, default 365); the token is returned once and stored only as a keyed hash.',
    tag: 'SCIM',
    grants: ['table:write', 'token-hash:mac'],
  },
  {
    operationId: 'scim.ReadScimTokens',
    method: 'GET',
    path: '/20190206/scim-tokens',
    handler: 'lambdas/scim/read-scim-tokens.ts',
    auth: 'bearer',
    summary: 'List the SCIM tokens with ExpiresTS and Expired, never their secrets.',
    tag: 'SCIM',
    grants: ['table:read'],
  },
  {
    operationId: 'scim.DeleteScimToken',
    method: 'DELETE',
    path: '/20190206/scim-tokens/{id}',
    handler: 'lambdas/scim/delete-scim-token.ts',
    auth: 'bearer',
    summary: 'Delete a SCIM token: requests with it get 401 at once.',
    tag: 'SCIM',
    grants: ['table:write'],
  },
  scimRoute(
    'scim.ListUsers',
    'GET',
    '/scim/v2/Users',
    'SCIM: list or filter users (startIndex, count, attributes).',
  ),
  scimRoute('scim.CreateUser', 'POST', '/scim/v2/Users', 'SCIM: provision a user (userName is the email).'),
  scimRoute('scim.GetUser', 'GET', '/scim/v2/Users/{id}', 'SCIM: read a user.'),
  scimRoute('scim.ReplaceUser', 'PUT', '/scim/v2/Users/{id}', 'SCIM: replace a user.'),
  scimRoute('scim.PatchUser', 'PATCH', '/scim/v2/Users/{id}', 'SCIM: patch a user (active=false disables).'),
  scimRoute('scim.DeleteUser', 'DELETE', '/scim/v2/Users/{id}', 'SCIM: deprovision a user (Status DELETED).'),
  scimRoute('scim.ListGroups', 'GET', '/scim/v2/Groups', 'SCIM: list or filter groups.'),
  scimRoute('scim.CreateGroup', 'POST', '/scim/v2/Groups', 'SCIM: create a group of GroupType SCIM.'),
  scimRoute('scim.GetGroup', 'GET', '/scim/v2/Groups/{id}', 'SCIM: read a group and its members.'),
  scimRoute('scim.ReplaceGroup', 'PUT', '/scim/v2/Groups/{id}', 'SCIM: replace a group and its members.'),
  scimRoute(
    'scim.PatchGroup',
    'PATCH',
    '/scim/v2/Groups/{id}',
    'SCIM: rename a group, add or remove members.',
  ),
  scimRoute(
    'scim.DeleteGroup',
    'DELETE',
    '/scim/v2/Groups/{id}',
    'SCIM: delete a group, its members and its access.',
  ),
  scimRoute(
    'scim.ServiceProviderConfig',
    'GET',
    '/scim/v2/ServiceProviderConfig',
    'SCIM: what this server supports.',
  ),
  scimRoute(
    'scim.ListResourceTypes',
    'GET',
    '/scim/v2/ResourceTypes',
    'SCIM: the User and Group resource types.',
  ),
  scimRoute('scim.GetResourceType', 'GET', '/scim/v2/ResourceTypes/{id}', 'SCIM: one resource type.'),
  scimRoute('scim.ListSchemas', 'GET', '/scim/v2/Schemas', 'SCIM: the attributes stored and returned.'),
  scimRoute('scim.GetSchema', 'GET', '/scim/v2/Schemas/{id}', 'SCIM: one schema.'),
];
