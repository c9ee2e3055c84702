import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import type { PermissionSetRoleSource } from '@/lambdas/deployments/role-model';
import {
  assignmentKey,
  DEPLOYMENT_STATUSES,
  type DeploymentStatus,
  deploymentKey,
  permissionSetKey,
} from '@/lambdas/permission-sets/items';
import type { Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';

/**
 * The permission-set items the deployment engine reads and writes (the shared key layout of
 * issue 6, in lambdas/shared/keys.ts): the permission set, its assignments, and one
 * deployment per (assignment, AWS account). Every write is conditional on the item's
 * `Version`, so a worker never overwrites what the API or another worker wrote since it read.
 * DynamoDeploymentStore is the table; the simulation keeps the same items in memory.
 */

// The key layout and statuses are the permission-set API's (lambdas/permission-sets/items.ts): one definition.
export { DEPLOYMENT_STATUSES, type DeploymentStatus };

/** A deployment item's attributes (without its keys). */
export interface DeploymentItem {
  readonly PermissionSetId: string;
  readonly AssignmentId: string;
  readonly AwsAccountId: string;
  /** The Stax account id. */
  readonly AccountId: string;
  readonly Status: DeploymentStatus;
  readonly StatusReason?: string;
  /** ISO 8601: when the latest deploy or delete was asked for. */
  readonly RequestedAt: string;
  /** The `*_REQUESTED` status a run started from, so that a failed run can put it back. */
  readonly RequestedStatus?: DeploymentStatus;
  /** How often the reconcile re-sent this request after its run was abandoned (requeueStalledDeployments). */
  readonly Resends?: number;
  readonly ModifiedTS: string;
  readonly Version: number;
}

/** An assignment item's attributes the engine uses. */
export interface AssignmentItem {
  readonly Id: string;
  readonly PermissionSetId: string;
  readonly AccountTypeId: string;
  readonly Status: DeploymentStatus;
  readonly Version?: number;
}

/** A permission set item, as the role is built from it. */
export type PermissionSetItem = PermissionSetRoleSource & {
  readonly Status?: string;
  readonly Version?: number;
};

export interface DeploymentStore {
  getPermissionSet(permissionSetId: string): Promise<PermissionSetItem | undefined>;
  getDeployment(
    permissionSetId: string,
    assignmentId: string,
    awsAccountId: string,
  ): Promise<DeploymentItem | undefined>;
  /** Writes the whole item if its stored Version is `expectedVersion` (absent: if there is none); false otherwise. */
  putDeployment(item: DeploymentItem, expectedVersion: number | undefined): Promise<boolean>;
  getAssignment(permissionSetId: string, assignmentId: string): Promise<AssignmentItem | undefined>;
  /** The statuses of every deployment of the assignment. */
  deploymentStatuses(permissionSetId: string, assignmentId: string): Promise<DeploymentStatus[]>;
  /** Sets the assignment's Status if its Version is still the one read; false otherwise. */
  setAssignmentStatus(assignment: AssignmentItem, status: DeploymentStatus, now: string): Promise<boolean>;
  /**
   * Every deployment of the permission set to one AWS account, whichever assignment it is
   * for: the role there is one role, which another assignment may still need.
   */
  deploymentsInAccount(permissionSetId: string, awsAccountId: string): Promise<DeploymentItem[]>;
  /** The AccountRole discovery recorded on the account (by Stax id); undefined when it has none. */
  accountRole(accountId: string): Promise<string | undefined>;
}

/** `PERMSET#<id>`: the partition of a permission set, its assignments and deployments. */
export function permissionSetPk(permissionSetId: string): string {
  return permissionSetKey(permissionSetId).PK;
}

export { assignmentKey, deploymentKey };

/** The deployment items in the table. */
export class DynamoDeploymentStore implements DeploymentStore {
  constructor(private readonly db: Db) {}

  async getPermissionSet(permissionSetId: string): Promise<PermissionSetItem | undefined> {
    return (await this.get({ PK: permissionSetPk(permissionSetId), SK: 'PERMSET' })) as
      | PermissionSetItem
      | undefined;
  }

  async getDeployment(permissionSetId: string, assignmentId: string, awsAccountId: string) {
    return (await this.get(deploymentKey(permissionSetId, assignmentId, awsAccountId))) as
      | DeploymentItem
      | undefined;
  }

  async putDeployment(item: DeploymentItem, expectedVersion: number | undefined): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.db.tableName,
        Item: { ...deploymentKey(item.PermissionSetId, item.AssignmentId, item.AwsAccountId), ...item },
        ...versionCondition(expectedVersion),
      }),
    );
  }

  async getAssignment(permissionSetId: string, assignmentId: string): Promise<AssignmentItem | undefined> {
    return (await this.get(assignmentKey(permissionSetId, assignmentId))) as AssignmentItem | undefined;
  }

  async deploymentStatuses(permissionSetId: string, assignmentId: string): Promise<DeploymentStatus[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: {
        ':pk': permissionSetPk(permissionSetId),
        ':prefix': `DEPLOYMENT#${assignmentId}#`,
      },
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'Status' },
    });
    return items.map((item) => item.Status as DeploymentStatus);
  }

  async setAssignmentStatus(
    assignment: AssignmentItem,
    status: DeploymentStatus,
    now: string,
  ): Promise<boolean> {
    const condition = versionCondition(assignment.Version);
    return this.conditional(
      new UpdateCommand({
        TableName: this.db.tableName,
        Key: assignmentKey(assignment.PermissionSetId, assignment.Id),
        UpdateExpression: 'SET #status = :status, ModifiedTS = :now ADD Version :one',
        ConditionExpression: `attribute_exists(PK) AND ${condition.ConditionExpression}`,
        ExpressionAttributeNames: { '#status': 'Status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':now': now,
          ':one': 1,
          ...condition.ExpressionAttributeValues,
        },
      }),
    );
  }

  async deploymentsInAccount(permissionSetId: string, awsAccountId: string): Promise<DeploymentItem[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: 'AwsAccountId = :account',
      ExpressionAttributeValues: {
        ':pk': permissionSetPk(permissionSetId),
        ':prefix': 'DEPLOYMENT#',
        ':account': awsAccountId,
      },
    });
    return items as unknown as DeploymentItem[];
  }

  async accountRole(accountId: string): Promise<string | undefined> {
    const item = await this.get(entityKey(ENTITY.account, accountId));
    return typeof item?.AccountRole === 'string' ? item.AccountRole : undefined;
  }

  /** Every item a consistent Query of the table matches, page after page. */
  private async queryAll(
    query: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead' | 'ExclusiveStartKey'>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.doc.send(
        new QueryCommand({
          ...query,
          TableName: this.db.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async get(key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  private async conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.db.doc.send(command as PutCommand);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function versionCondition(expectedVersion: number | undefined): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return expectedVersion === undefined
    ? { ConditionExpression: 'attribute_not_exists(Version)' }
    : {
        ConditionExpression: 'Version = :expectedVersion',
        ExpressionAttributeValues: { ':expectedVersion': expectedVersion },
      };
}

/** The assignments of an account type: one Query on GSI2 (`ACCOUNTTYPE#<id>` / `PSASSIGNMENT#…`). */
export async function assignmentsOfAccountType(db: Db, accountTypeId: string): Promise<AssignmentItem[]> {
  const assignments: AssignmentItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new QueryCommand({
        TableName: db.tableName,
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk AND begins_with(GSI2SK, :prefix)',
        ExpressionAttributeValues: { ':pk': `ACCOUNTTYPE#${accountTypeId}`, ':prefix': 'PSASSIGNMENT#' },
        ExclusiveStartKey: startKey,
      }),
    );
    assignments.push(...((page.Items ?? []) as AssignmentItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return assignments;
}

/** Tries of read → conditional write when another writer changes the deployment item at the same time. */
const REQUEST_TRIES = 5;

/** What a deployment is asked to do, for one (assignment, account). */
export interface DeploymentRequest {
  readonly permissionSetId: string;
  readonly assignmentId: string;
  readonly awsAccountId: string;
  /** The Stax account id. */
  readonly accountId: string;
  readonly action: 'deploy' | 'delete';
}

/**
 * Writes the deployment item in its `*_REQUESTED` status (CREATE_REQUESTED for a role that is
 * not there, UPDATE_REQUESTED for one that is, DELETE_REQUESTED), with `requestedAt`, and
 * returns the message to enqueue. `onlyIf` lets a caller (the reconcile) request only from
 * the status it saw; then undefined means someone else moved the item first.
 */
export async function requestDeployment(
  store: DeploymentStore,
  request: DeploymentRequest,
  requestedAt: string,
  onlyIf?: DeploymentStatus,
): Promise<DeploymentMessage | undefined> {
  for (let attempt = 0; attempt < REQUEST_TRIES; attempt++) {
    const current = await store.getDeployment(
      request.permissionSetId,
      request.assignmentId,
      request.awsAccountId,
    );
    if (onlyIf && current?.Status !== onlyIf) return undefined;
    const roleAbsent =
      !current || current.Status === 'DELETE_COMPLETE' || current.Status === 'CREATE_REQUESTED';
    const status: DeploymentStatus =
      request.action === 'delete' ? 'DELETE_REQUESTED' : roleAbsent ? 'CREATE_REQUESTED' : 'UPDATE_REQUESTED';
    const written = await store.putDeployment(
      {
        PermissionSetId: request.permissionSetId,
        AssignmentId: request.assignmentId,
        AwsAccountId: request.awsAccountId,
        AccountId: request.accountId,
        Status: status,
        RequestedAt: requestedAt,
        ModifiedTS: requestedAt,
        Version: (current?.Version ?? 0) + 1,
      },
      current?.Version,
    );
    if (written) {
      return {
        permissionSetId: request.permissionSetId,
        assignmentId: request.assignmentId,
        awsAccountId: request.awsAccountId,
        action: request.action,
        requestedAt,
      };
    }
  }
  throw new Error(
    `deployment ${request.assignmentId}/${request.awsAccountId} kept changing while it was requested`,
  );
}
