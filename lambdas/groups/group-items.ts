import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey, listing, membershipKey, uniqueKey } from '@/lambdas/shared/keys';
import { type Item, numberAttr, queryAll, stringAttr } from '@/lambdas/shared/store';

/**
 * Groups in the table (lambdas/shared/keys.ts):
 *
 * - group: `GROUP#<id>` / `GROUP`, listed on GSI1 `GROUP` / `<lower name>`; `Version` guards
 *   every change to the group AND to its members (a membership change bumps it), so a
 *   delete-when-empty cannot race an add.
 * - membership: `GROUP#<groupId>` / `MEMBER#<userId>`, inverse on GSI2 `USER#<userId>`. The
 *   group and its members share a partition: one Query reads both.
 * - name guard: `UNIQUE#GROUPNAME#<lower name>` holding the group's `Id`.
 */

export type GroupType = 'LOCAL' | 'SCIM';

export interface StoredGroup {
  readonly id: string;
  readonly name: string;
  readonly groupType: GroupType;
  readonly status: 'NEW' | 'ACTIVE' | 'DELETED';
  readonly createdBy?: string;
  readonly createdTs?: string;
  readonly modifiedTs?: string;
  readonly organisationId?: string;
  readonly version?: number;
}

export interface GroupWithMembers {
  readonly group: StoredGroup;
  /** User ids, in id order. */
  readonly members: readonly string[];
}

export const GROUP_NAME_LIMITS = { min: 3, max: 64 } as const;

const MEMBER_PREFIX = 'MEMBER#';

export function groupItem(group: StoredGroup & { readonly version: number }): Item {
  return {
    ...entityKey(ENTITY.group, group.id),
    ...listing(ENTITY.group, group.name.toLowerCase()),
    Id: group.id,
    Name: group.name,
    GroupType: group.groupType,
    Status: group.status,
    ...(group.createdBy && { CreatedBy: group.createdBy }),
    CreatedTS: group.createdTs,
    ModifiedTS: group.modifiedTs,
    ...(group.organisationId && { OrganisationId: group.organisationId }),
    Version: group.version,
  };
}

export function groupNameGuard(name: string, groupId: string): Item {
  return { ...uniqueKey('GROUPNAME', name), Kind: 'GROUPNAME', Id: groupId };
}

export function membershipItem(groupId: string, userId: string, createdTs: string): Item {
  return { ...membershipKey(groupId, userId), GroupId: groupId, UserId: userId, CreatedTS: createdTs };
}

export function groupFromItem(item: Item): StoredGroup {
  const status = stringAttr(item, 'Status');
  const createdBy = stringAttr(item, 'CreatedBy');
  const createdTs = stringAttr(item, 'CreatedTS');
  const modifiedTs = stringAttr(item, 'ModifiedTS');
  const organisationId = stringAttr(item, 'OrganisationId');
  const version = numberAttr(item, 'Version');
  return {
    id: stringAttr(item, 'Id') ?? String(item.PK).slice(`${ENTITY.group}#`.length),
    name: stringAttr(item, 'Name') ?? '',
    groupType: stringAttr(item, 'GroupType') === 'SCIM' ? 'SCIM' : 'LOCAL',
    status: status === 'NEW' || status === 'DELETED' ? status : 'ACTIVE',
    ...(createdBy && { createdBy }),
    ...(createdTs && { createdTs }),
    ...(modifiedTs && { modifiedTs }),
    ...(organisationId && { organisationId }),
    ...(version !== undefined && { version }),
  };
}

/** The group and its members in one Query; undefined when there is no such group. */
export async function loadGroup(db: Db, groupId: string): Promise<GroupWithMembers | undefined> {
  const items = await queryAll(db, {
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': entityKey(ENTITY.group, groupId).PK },
    ConsistentRead: true,
  });
  const groupItemFound = items.find((item) => item.SK === ENTITY.group);
  if (!groupItemFound) return undefined;
  const members = items
    .map((item) => String(item.SK))
    .filter((sk) => sk.startsWith(MEMBER_PREFIX))
    .map((sk) => sk.slice(MEMBER_PREFIX.length))
    .sort();
  return { group: groupFromItem(groupItemFound), members };
}

/** The id of the group with this name (case-insensitive), from its name guard. */
export async function groupIdByName(db: Db, name: string): Promise<string | undefined> {
  const { Item: guard } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: uniqueKey('GROUPNAME', name), ConsistentRead: true }),
  );
  if (guard) {
    const id = stringAttr(guard, 'Id');
    if (id) return id;
  }
  // A guard without an id (written by another writer): find the group by its listing.
  const found = await queryAll(db, {
    IndexName: 'GSI1',
    KeyConditionExpression: 'GSI1PK = :kind AND GSI1SK = :name',
    ExpressionAttributeValues: { ':kind': ENTITY.group, ':name': name.toLowerCase() },
  });
  const [first] = found;
  return first ? stringAttr(first, 'Id') : undefined;
}

/** The spec's `Group`. */
export function groupResponse(group: StoredGroup, members: readonly string[]) {
  return {
    Id: group.id,
    Name: group.name,
    GroupType: group.groupType,
    Status: group.status,
    ...(group.createdBy && { CreatedBy: group.createdBy }),
    ...(group.createdTs && { CreatedTS: group.createdTs }),
    ...(group.modifiedTs && { ModifiedTS: group.modifiedTs }),
    ...(group.organisationId && { OrganisationId: group.organisationId }),
    Users: [...members],
  };
}
