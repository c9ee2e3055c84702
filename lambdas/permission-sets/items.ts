import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '@/lambdas/shared/db';
import { NotFoundError } from '@/lambdas/shared/errors';
import { ENTITY } from '@/lambdas/shared/keys';
import { type Item, numberAttr, recordListAttr, stringAttr } from '@/lambdas/shared/store';

/**
 * Permission sets, their assignments and their deployments in the single table (the key
 * layout shared with the deployment engine, docs/decisions/0017-permission-sets.md):
 *
 * | item           | PK                    | SK                                     | GSI1                     | GSI2                                              |
 * |----------------|-----------------------|----------------------------------------|--------------------------|---------------------------------------------------|
 * | permission set | PERMSET#<id>          | PERMSET                                | PERMSET / <lower name>   |                                                   |
 * | name guard     | UNIQUE#PERMSETNAME#<lower name> | UNIQUE                       |                          |                                                   |
 * | assignment     | PERMSET#<psId>        | ASSIGNMENT#<assignmentId>              |                          | ACCOUNTTYPE#<accountTypeId> / PSASSIGNMENT#<id>   |
 * | deployment     | PERMSET#<psId>        | DEPLOYMENT#<assignmentId>#<awsAccount> |                          |                                                   |
 *
 * A permission set's live assignments (not being deleted) are counted in `AssignmentCount`
 * on its item, so that the 100-assignment limit and "delete only without assignments" are
 * conditions of the transactions that change them. Each account type item carries a summary
 * of its live assignments in `PermissionSetRoles` (assignment id → role name, group, session
 * length) so that entitlements read them with the account types they already read.
 */

export const PERMISSION_SET = 'PERMSET';

/** The spec's AssignmentRecordStatus, which is also each deployment's status. */
export const DEPLOYMENT_STATUSES = [
  'CREATE_REQUESTED',
  'UPDATE_REQUESTED',
  'DEPLOYMENT_IN_PROGRESS',
  'DEPLOYMENT_FAILED',
  'DEPLOYMENT_COMPLETE',
  'DELETE_REQUESTED',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const PERMISSION_SET_STATUSES = ['ACTIVE', 'DELETED'] as const;
export type PermissionSetStatus = (typeof PERMISSION_SET_STATUSES)[number];

/** An assignment being deleted (or deleted) no longer counts, grants nothing and cannot be redeployed. */
export function isLive(status: DeploymentStatus): boolean {
  return !status.startsWith('DELETE_');
}

export interface InlinePolicy {
  readonly Name: string;
  readonly Policy: string;
}

export interface PermissionSet {
  readonly Id: string;
  readonly Name: string;
  readonly Description?: string;
  readonly AWSManagedPolicies: readonly { readonly PolicyArn: string }[];
  readonly InlinePolicies: readonly InlinePolicy[];
  readonly MaxSessionDuration: number;
  readonly Tags?: Readonly<Record<string, string>>;
  readonly Status: PermissionSetStatus;
  readonly CreatedBy: string;
  readonly CreatedTS: string;
  readonly ModifiedBy?: string;
  readonly ModifiedTS?: string;
  readonly Version: number;
  readonly AssignmentCount: number;
}

export interface Assignment {
  readonly Id: string;
  readonly PermissionSetId: string;
  readonly AccountTypeId: string;
  readonly GroupId: string;
  readonly Status: DeploymentStatus;
  readonly CreatedBy: string;
  readonly CreatedTS: string;
  readonly ModifiedBy?: string;
  readonly ModifiedTS?: string;
  readonly Version: number;
}

export interface Deployment {
  readonly PermissionSetId: string;
  readonly AssignmentId: string;
  readonly AwsAccountId: string;
  /** The Stax account id. */
  readonly AccountId: string;
  readonly Status: DeploymentStatus;
  readonly StatusReason?: string;
  readonly RequestedAt: string;
  readonly ModifiedTS: string;
  readonly Version: number;
}

/** One live assignment as its account type item summarises it, for entitlements. */
export interface AssignmentSummary {
  readonly AssignmentId: string;
  readonly PermissionSetId: string;
  readonly RoleName: string;
  readonly GroupId: string;
  readonly MaxSessionDuration: number;
}

/** The account type attribute holding its live assignments' summaries, by assignment id. */
export const SUMMARY_ATTRIBUTE = 'PermissionSetRoles';

export function permissionSetKey(id: string) {
  return { PK: `${PERMISSION_SET}#${id}`, SK: PERMISSION_SET };
}

export function nameGuardKey(name: string) {
  return { PK: `UNIQUE#PERMSETNAME#${name.toLowerCase()}`, SK: 'UNIQUE' };
}

export function assignmentKey(permissionSetId: string, assignmentId: string) {
  return { PK: `${PERMISSION_SET}#${permissionSetId}`, SK: `ASSIGNMENT#${assignmentId}` };
}

export function deploymentKey(permissionSetId: string, assignmentId: string, awsAccountId: string) {
  return { PK: `${PERMISSION_SET}#${permissionSetId}`, SK: `DEPLOYMENT#${assignmentId}#${awsAccountId}` };
}

export function accountTypeKey(accountTypeId: string) {
  return { PK: `${ENTITY.accountType}#${accountTypeId}`, SK: ENTITY.accountType };
}

export function permissionSetItem(set: PermissionSet): Item {
  return {
    ...permissionSetKey(set.Id),
    GSI1PK: PERMISSION_SET,
    GSI1SK: set.Name.toLowerCase(),
    ...set,
  };
}

export function nameGuardItem(name: string, permissionSetId: string): Item {
  return { ...nameGuardKey(name), Kind: 'PERMSETNAME', Id: permissionSetId };
}

export function assignmentItem(assignment: Assignment): Item {
  return {
    ...assignmentKey(assignment.PermissionSetId, assignment.Id),
    GSI2PK: `${ENTITY.accountType}#${assignment.AccountTypeId}`,
    GSI2SK: `PSASSIGNMENT#${assignment.Id}`,
    ...assignment,
  };
}

function deploymentStatus(value: unknown): DeploymentStatus {
  return (DEPLOYMENT_STATUSES as readonly unknown[]).includes(value)
    ? (value as DeploymentStatus)
    : 'DEPLOYMENT_FAILED';
}

function tagsAttr(item: Item): Record<string, string> | undefined {
  const tags = item.Tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return undefined;
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, String(value)]));
}

export function permissionSetFromItem(item: Item): PermissionSet {
  const description = stringAttr(item, 'Description');
  const tags = tagsAttr(item);
  const modifiedBy = stringAttr(item, 'ModifiedBy');
  const modifiedTs = stringAttr(item, 'ModifiedTS');
  return {
    Id: stringAttr(item, 'Id') ?? '',
    Name: stringAttr(item, 'Name') ?? '',
    ...(description !== undefined && { Description: description }),
    AWSManagedPolicies: recordListAttr(item, 'AWSManagedPolicies').map((policy) => ({
      PolicyArn: stringAttr(policy, 'PolicyArn') ?? '',
    })),
    InlinePolicies: recordListAttr(item, 'InlinePolicies').map((policy) => ({
      Name: stringAttr(policy, 'Name') ?? '',
      Policy: stringAttr(policy, 'Policy') ?? '',
    })),
    MaxSessionDuration: numberAttr(item, 'MaxSessionDuration') ?? 3600,
    ...(tags && { Tags: tags }),
    Status: item.Status === 'DELETED' ? 'DELETED' : 'ACTIVE',
    CreatedBy: stringAttr(item, 'CreatedBy') ?? '',
    CreatedTS: stringAttr(item, 'CreatedTS') ?? '',
    ...(modifiedBy && { ModifiedBy: modifiedBy }),
    ...(modifiedTs && { ModifiedTS: modifiedTs }),
    Version: numberAttr(item, 'Version') ?? 1,
    AssignmentCount: numberAttr(item, 'AssignmentCount') ?? 0,
  };
}

export function assignmentFromItem(item: Item): Assignment {
  const modifiedBy = stringAttr(item, 'ModifiedBy');
  const modifiedTs = stringAttr(item, 'ModifiedTS');
  return {
    Id: stringAttr(item, 'Id') ?? '',
    PermissionSetId: stringAttr(item, 'PermissionSetId') ?? '',
    AccountTypeId: stringAttr(item, 'AccountTypeId') ?? '',
    GroupId: stringAttr(item, 'GroupId') ?? '',
    Status: deploymentStatus(item.Status),
    CreatedBy: stringAttr(item, 'CreatedBy') ?? '',
    CreatedTS: stringAttr(item, 'CreatedTS') ?? '',
    ...(modifiedBy && { ModifiedBy: modifiedBy }),
    ...(modifiedTs && { ModifiedTS: modifiedTs }),
    Version: numberAttr(item, 'Version') ?? 1,
  };
}

export function deploymentFromItem(item: Item): Deployment {
  const reason = stringAttr(item, 'StatusReason');
  return {
    PermissionSetId: stringAttr(item, 'PermissionSetId') ?? '',
    AssignmentId: stringAttr(item, 'AssignmentId') ?? '',
    AwsAccountId: stringAttr(item, 'AwsAccountId') ?? '',
    AccountId: stringAttr(item, 'AccountId') ?? '',
    Status: deploymentStatus(item.Status),
    ...(reason && { StatusReason: reason }),
    RequestedAt: stringAttr(item, 'RequestedAt') ?? '',
    ModifiedTS: stringAttr(item, 'ModifiedTS') ?? '',
    Version: numberAttr(item, 'Version') ?? 1,
  };
}

/** The assignment summaries an account type item carries (none on a type never assigned), by assignment id. */
export function summariesFromAccountType(item: Item): AssignmentSummary[] {
  const map = item[SUMMARY_ATTRIBUTE];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return [];
  const entries = Object.values(map as Record<string, Item>).sort((a, b) =>
    compare(String(a.AssignmentId), String(b.AssignmentId)),
  );
  return entries.flatMap((entry): AssignmentSummary[] => {
    const assignmentId = stringAttr(entry, 'AssignmentId');
    const permissionSetId = stringAttr(entry, 'PermissionSetId');
    const roleName = stringAttr(entry, 'RoleName');
    const groupId = stringAttr(entry, 'GroupId');
    if (!assignmentId || !permissionSetId || !roleName || !groupId) return [];
    return [
      {
        AssignmentId: assignmentId,
        PermissionSetId: permissionSetId,
        RoleName: roleName,
        GroupId: groupId,
        MaxSessionDuration: numberAttr(entry, 'MaxSessionDuration') ?? 3600,
      },
    ];
  });
}

/** The spec's PermissionSetRecord. */
export function permissionSetResponse(set: PermissionSet) {
  const { Version: _version, AssignmentCount: _count, ...record } = set;
  return record;
}

/** The spec's AssignmentRecord. */
export function assignmentResponse(assignment: Assignment) {
  const { Version: _version, ...record } = assignment;
  return record;
}

/** The permission set `id`, or NotFoundError. */
export async function getPermissionSet(db: Db, id: string): Promise<PermissionSet> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: permissionSetKey(id), ConsistentRead: true }),
  );
  if (!item) throw new NotFoundError('Permission set', id);
  return permissionSetFromItem(item);
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
