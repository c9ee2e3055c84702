import {
  type AccountTypeWithRoles,
  accountTypesGranting,
  rolesUpdateStep,
} from '@/lambdas/accounts/account-type-access';
import {
  GROUP_NAME_LIMITS,
  type GroupWithMembers,
  groupFromItem,
  groupItem,
  groupNameGuard,
  groupResponse,
  loadGroup,
  membershipItem,
  type StoredGroup,
} from '@/lambdas/groups/group-items';
import {
  assertFitsTransaction,
  type ChangePlan,
  MAX_TRANSACTION_ITEMS,
  runChange,
  type TxStep,
  taskDetail,
} from '@/lambdas/shared/change';
import type { ReadDeps, ServiceDeps } from '@/lambdas/shared/deps';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { checkName } from '@/lambdas/shared/input';
import { ENTITY, entityKey, membershipKey, uniqueKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import {
  getMany,
  listByKind,
  mapConcurrent,
  onlyIfVersion,
  stringAttr,
  versionedUpdate,
} from '@/lambdas/shared/store';

/**
 * Groups and their members (teams.*Group*). Names are unique case-insensitively through a
 * guard item; SCIM groups are read-only here; a group is deleted only when empty; member
 * changes are all or nothing, in one transaction.
 */

export interface RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
}

const GROUP_READ_CONCURRENCY = 16;

// ---- reads -----------------------------------------------------------------------------------

export async function readGroups(deps: ReadDeps, idFilter?: readonly string[]) {
  const ids = idFilter
    ? [...new Set(idFilter)]
    : (await listByKind(deps.db, ENTITY.group)).map((item) => groupFromItem(item).id);
  const loaded = await mapConcurrent(ids, GROUP_READ_CONCURRENCY, (id) => loadGroup(deps.db, id));
  const groups = loaded.filter((found): found is GroupWithMembers => found !== undefined);
  if (idFilter) groups.sort((a, b) => a.group.name.toLowerCase().localeCompare(b.group.name.toLowerCase()));
  return {
    Groups: groups.map(({ group, members }) => groupResponse(withOrganisation(group, deps), members)),
  };
}

export async function readGroup(deps: ReadDeps, groupId: string) {
  const found = await loadGroup(deps.db, groupId);
  if (!found) throw new NotFoundError('Group', groupId);
  return { Groups: [groupResponse(withOrganisation(found.group, deps), found.members)] };
}

function withOrganisation(group: StoredGroup, deps: ReadDeps): StoredGroup {
  return group.organisationId ? group : { ...group, organisationId: deps.organisationId };
}

// ---- create, rename, delete --------------------------------------------------------------------

export async function createGroup(deps: ServiceDeps, context: RequestContext, body: { Name: string }) {
  const name = checkName(body.Name, 'Body.Name', GROUP_NAME_LIMITS);
  const groupId = newId();
  const now = deps.clock.now().toISOString();
  const { taskId } = await runChange(
    deps,
    { ...context, operationId: 'teams.CreateGroup', taskOperation: 'teams:CreateGroup' },
    async (): Promise<ChangePlan<undefined>> => {
      await assertNameFree(deps, name);
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: groupItem({
                  id: groupId,
                  name,
                  groupType: 'LOCAL',
                  status: 'ACTIVE',
                  ...(isUuid(context.caller.id) && { createdBy: context.caller.id }),
                  createdTs: now,
                  modifiedTs: now,
                  organisationId: deps.organisationId,
                  version: 1,
                }),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          },
          nameGuardPut(deps, name, groupId),
        ],
        result: undefined,
        logs: [`Created group ${JSON.stringify(name)} (${groupId})`],
        targets: [{ type: 'group', id: groupId, name }],
        detail: { name },
      };
    },
  );
  return {
    GroupId: groupId,
    DetailType: 'teams.CreateGroup',
    Detail: taskDetail('teams:CreateGroup', taskId, `Group ${JSON.stringify(name)} created`),
  };
}

export async function updateGroup(
  deps: ServiceDeps,
  context: RequestContext,
  groupId: string,
  body: { Name: string },
) {
  const name = checkName(body.Name, 'Body.Name', GROUP_NAME_LIMITS);
  const { taskId } = await runChange(
    deps,
    { ...context, operationId: 'teams.UpdateGroup', taskOperation: 'teams:UpdateGroup' },
    async (): Promise<ChangePlan<undefined>> => {
      const { group } = await loadWritableGroup(deps, groupId, 'renamed');
      const renamed = group.name.toLowerCase() !== name.toLowerCase();
      if (renamed) await assertNameFree(deps, name);
      const steps: TxStep[] = [groupUpdateStep(deps, group, { Name: name, GSI1SK: name.toLowerCase() })];
      if (renamed) {
        steps.push(nameGuardPut(deps, name, groupId), {
          item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('GROUPNAME', group.name) } },
        });
      }
      return {
        steps,
        result: undefined,
        logs: [`Renamed group ${groupId} from ${JSON.stringify(group.name)} to ${JSON.stringify(name)}`],
        targets: [{ type: 'group', id: groupId, name }],
        detail: { from: group.name, to: name },
      };
    },
  );
  return {
    DetailType: 'teams.UpdateGroup',
    Detail: taskDetail('teams:UpdateGroup', taskId, `Group ${groupId} renamed to ${JSON.stringify(name)}`),
  };
}

export async function deleteGroup(deps: ServiceDeps, context: RequestContext, groupId: string) {
  const { taskId } = await runChange(
    deps,
    { ...context, operationId: 'teams.DeleteGroup', taskOperation: 'teams:DeleteGroup' },
    async (): Promise<ChangePlan<undefined>> => {
      const { group, members } = await loadWritableGroup(deps, groupId, 'deleted');
      if (members.length > 0) {
        throw new InvalidStateError(
          `Group ${JSON.stringify(group.name)} still has ${members.length} member(s): remove them with UpdateGroupMembers (PUT /20190206/groups/members) before deleting it`,
        );
      }
      // Access granted to the group goes with it, in the same transaction.
      const granting: AccountTypeWithRoles[] = await accountTypesGranting(deps.db, [groupId]);
      const now = deps.clock.now().toISOString();
      const steps: TxStep[] = [
        {
          item: {
            Delete: {
              TableName: deps.db.tableName,
              Key: entityKey(ENTITY.group, groupId),
              ...onlyIfVersion(group.version),
            },
          },
        },
        { item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('GROUPNAME', group.name) } } },
        ...granting.map((type) =>
          rolesUpdateStep(
            deps.db,
            type,
            type.roles.filter((role) => role.GroupId !== groupId),
            now,
          ),
        ),
      ];
      assertFitsTransaction(
        steps.length + 1,
        'group_id',
        `the group and the ${granting.length} account types that grant it access`,
      );
      return {
        steps,
        result: undefined,
        logs: [
          `Deleted group ${JSON.stringify(group.name)} (${groupId})`,
          ...granting.map(
            (type) => `Removed the group's access to account type ${JSON.stringify(type.name)}`,
          ),
        ],
        targets: [
          { type: 'group', id: groupId, name: group.name },
          ...granting.map((type) => ({ type: 'account-type', id: type.id, name: type.name })),
        ],
      };
    },
  );
  return {
    DetailType: 'teams.DeleteGroup',
    Detail: taskDetail('teams:DeleteGroup', taskId, `Group ${groupId} deleted`),
  };
}

// ---- members ---------------------------------------------------------------------------------

export interface UserGroupMemberMap {
  readonly UserId: string;
  readonly GroupId: string;
}

export interface UpdateGroupMembersBody {
  readonly AddMembers?: readonly UserGroupMemberMap[];
  readonly RemoveMembers?: readonly UserGroupMemberMap[];
}

interface MemberChange {
  readonly groupId: string;
  readonly userId: string;
  readonly add: boolean;
}

export async function updateGroupMembers(
  deps: ServiceDeps,
  context: RequestContext,
  body: UpdateGroupMembersBody,
) {
  const changes = memberChanges(body);
  const groupIds = [...new Set(changes.map((change) => change.groupId))];
  const addedUsers = [...new Set(changes.filter((change) => change.add).map((change) => change.userId))];
  // Every pair, every group and every added user is one item; the task is one more.
  assertFitsTransaction(
    changes.length + groupIds.length + addedUsers.length + 1,
    'Body',
    `${changes.length} member changes, ${groupIds.length} groups, ${addedUsers.length} users to check`,
  );

  const { taskId } = await runChange(
    deps,
    { ...context, operationId: 'teams.UpdateGroupMembers', taskOperation: 'teams:UpdateGroupMembers' },
    async (): Promise<ChangePlan<undefined>> => {
      const groups = new Map<string, GroupWithMembers>();
      await mapConcurrent(groupIds, GROUP_READ_CONCURRENCY, async (groupId) => {
        groups.set(groupId, await loadWritableGroup(deps, groupId, 'given members'));
      });
      await assertUsersMayJoin(deps, addedUsers);

      const now = deps.clock.now().toISOString();
      const steps: TxStep[] = [];
      const logs: string[] = [];
      for (const change of changes) {
        const members = groups.get(change.groupId)?.members ?? [];
        const isMember = members.includes(change.userId);
        if (change.add && !isMember) {
          steps.push({
            item: {
              Put: { TableName: deps.db.tableName, Item: membershipItem(change.groupId, change.userId, now) },
            },
          });
          logs.push(`Added user ${change.userId} to group ${change.groupId}`);
        } else if (!change.add && isMember) {
          const { PK, SK } = membershipKey(change.groupId, change.userId);
          steps.push({ item: { Delete: { TableName: deps.db.tableName, Key: { PK, SK } } } });
          logs.push(`Removed user ${change.userId} from group ${change.groupId}`);
        } else {
          logs.push(
            `User ${change.userId} ${change.add ? 'was already a member of' : 'was not a member of'} group ${change.groupId}`,
          );
        }
      }
      // The users must not be deleted in the meantime.
      for (const userId of addedUsers) {
        steps.push({
          item: {
            ConditionCheck: {
              TableName: deps.db.tableName,
              Key: entityKey(ENTITY.user, userId),
              ConditionExpression: 'attribute_exists(PK) AND #status <> :deleted',
              ExpressionAttributeNames: { '#status': 'Status' },
              ExpressionAttributeValues: { ':deleted': 'DELETED' },
            },
          },
        });
      }
      // Every group's Version moves on: a parallel change of the same group re-plans on top of this one.
      for (const { group } of groups.values()) steps.push(groupUpdateStep(deps, group));
      return {
        steps,
        result: undefined,
        logs,
        users: [...new Set(changes.map((change) => change.userId))],
        targets: [
          ...[...groups.values()].map(({ group }) => ({ type: 'group', id: group.id, name: group.name })),
          ...[...new Set(changes.map((change) => change.userId))].map((id) => ({ type: 'user', id })),
        ],
        detail: {
          add: changes.filter((change) => change.add).map(({ groupId, userId }) => ({ groupId, userId })),
          remove: changes.filter((change) => !change.add).map(({ groupId, userId }) => ({ groupId, userId })),
        },
      };
    },
  );
  return {
    DetailType: 'teams.UpdateGroupMembers',
    Detail: taskDetail(
      'teams:UpdateGroupMembers',
      taskId,
      `Group members updated (${changes.length} changes)`,
    ),
  };
}

/** The requested changes, each pair once; refuses an empty request and a pair both added and removed. */
function memberChanges(body: UpdateGroupMembersBody): MemberChange[] {
  const add = body.AddMembers ?? [];
  const remove = body.RemoveMembers ?? [];
  if (add.length + remove.length === 0) {
    throw new ValidationError('Body', 'AddMembers or RemoveMembers must list at least one {UserId, GroupId}');
  }
  // Refuse the absurd before reading anything: each pair is at least one transaction item.
  if (add.length + remove.length > MAX_TRANSACTION_ITEMS) {
    assertFitsTransaction(add.length + remove.length, 'Body', `${add.length + remove.length} member changes`);
  }
  const changes = new Map<string, MemberChange>();
  const collect = (list: readonly UserGroupMemberMap[], field: string, isAdd: boolean): void => {
    for (const [index, entry] of list.entries()) {
      const groupId = entry.GroupId.toLowerCase();
      const userId = entry.UserId.toLowerCase();
      const key = `${groupId}/${userId}`;
      const previous = changes.get(key);
      if (previous && previous.add !== isAdd) {
        throw new ValidationError(
          `Body.${field}[${index}]`,
          `user ${userId} is both added to and removed from group ${groupId}: list the pair once`,
        );
      }
      changes.set(key, { groupId, userId, add: isAdd });
    }
  };
  collect(add, 'AddMembers', true);
  collect(remove, 'RemoveMembers', false);
  return [...changes.values()];
}

async function assertUsersMayJoin(deps: ServiceDeps, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const items = await getMany(
    deps.db,
    userIds.map((id) => entityKey(ENTITY.user, id)),
  );
  const byId = new Map(items.map((item) => [String(item.PK).slice(`${ENTITY.user}#`.length), item]));
  for (const userId of userIds) {
    const user = byId.get(userId);
    if (!user) throw new NotFoundError('User', userId);
    if (stringAttr(user, 'Status') === 'DELETED') {
      throw new InvalidStateError(`User ${JSON.stringify(userId)} is DELETED and cannot join a group`);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------

async function assertNameFree(deps: ServiceDeps, name: string): Promise<void> {
  const taken = await getMany(deps.db, [uniqueKey('GROUPNAME', name)]);
  if (taken.length > 0) throw nameTaken(name);
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`A group named ${JSON.stringify(name)} already exists: choose another name`);
}

function nameGuardPut(deps: ServiceDeps, name: string, groupId: string): TxStep {
  return {
    item: {
      Put: {
        TableName: deps.db.tableName,
        Item: groupNameGuard(name, groupId),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    onConditionFailed: () => nameTaken(name),
  };
}

/** The group, which must exist and be editable through this API (not SCIM-managed). */
async function loadWritableGroup(
  deps: ServiceDeps,
  groupId: string,
  action: string,
): Promise<GroupWithMembers> {
  const found = await loadGroup(deps.db, groupId);
  if (!found) throw new NotFoundError('Group', groupId);
  if (found.group.groupType === 'SCIM') {
    throw new InvalidStateError(
      `Group ${JSON.stringify(found.group.name)} is managed by your identity provider through SCIM and cannot be ${action} through this API: change it in the identity provider`,
    );
  }
  return found;
}

/** Updates the group item under its Version condition: ModifiedTS, Version + 1, and `assignments`. */
function groupUpdateStep(
  deps: ServiceDeps,
  group: StoredGroup,
  assignments: Readonly<Record<string, unknown>> = {},
): TxStep {
  return {
    item: versionedUpdate(
      deps.db.tableName,
      entityKey(ENTITY.group, group.id),
      group.version,
      assignments,
      deps.clock.now().toISOString(),
    ),
  };
}
