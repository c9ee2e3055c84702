import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of signing in to member AWS accounts that the entitlements domain serves. */
export const AWS_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'aws.ReadMyRoles',
    method: 'GET',
    path: '/20190206/users/me/aws-roles',
    handler: 'lambdas/aws/read-my-roles.ts',
    auth: 'bearer',
    summary:
      'Every (AWS account, IAM role) the signed-in user may sign in to: built-in roles through their groups and active support-access grants (404 for an API token).',
    tag: 'AWS sign-in',
    grants: ['table:read'],
  },
];
