import { permissionSetHandler } from '@/lambdas/permission-sets/api';
import { AWS_MANAGED_POLICIES } from '@/lambdas/permission-sets/managed-policies';
import { assertKnownQuery } from '@/lambdas/shared/input';

/** GET /20210321/permission-sets/aws-managed-policies (permissionSets.ListAWSManagedPolicies) */
export const handler = permissionSetHandler('permissionSets.ListAWSManagedPolicies', async ({ query }) => {
  assertKnownQuery(query, []);
  return { body: { AWSManagedPolicies: AWS_MANAGED_POLICIES } };
});
