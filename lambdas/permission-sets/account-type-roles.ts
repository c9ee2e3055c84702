import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { accountTypeKey, SUMMARY_ATTRIBUTE, summariesFromAccountType } from '@/lambdas/permission-sets/items';
import type { Db } from '@/lambdas/shared/db';
import { InvalidStateError } from '@/lambdas/shared/errors';

/**
 * Refuses (InvalidStateError, 400, as DeleteAccountType refuses a type that still holds
 * accounts) to delete an account type that still carries permission-set roles: its live
 * assignments would be left pointing at nothing and their roles deployed forever. The
 * message names each assignment to delete first. The summaries are read after the account
 * type the delete is planned on, whose Version every new assignment bumps, so an assignment
 * added in between makes the delete's condition fail and the plan run again.
 */
export async function assertNoPermissionSetRoles(
  db: Db,
  accountType: { readonly id: string; readonly name: string },
): Promise<void> {
  const { Item: item } = await db.doc.send(
    new GetCommand({
      TableName: db.tableName,
      Key: accountTypeKey(accountType.id),
      ProjectionExpression: '#summary',
      ExpressionAttributeNames: { '#summary': SUMMARY_ATTRIBUTE },
      ConsistentRead: true,
    }),
  );
  const roles = item ? summariesFromAccountType(item) : [];
  if (roles.length === 0) return;
  const listed = roles
    .map(
      (role) =>
        `${JSON.stringify(role.RoleName)} (permission set ${role.PermissionSetId}, assignment ${role.AssignmentId})`,
    )
    .join(', ');
  throw new InvalidStateError(
    `Account type ${JSON.stringify(accountType.name)} still carries ${roles.length} permission set role(s): ${listed}. Delete these assignments first with DeletePermissionSetAssignment (DELETE /20210321/permission-sets/{permission_set_id}/assignments/{assignment_id})`,
  );
}
