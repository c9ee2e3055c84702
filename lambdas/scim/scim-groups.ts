import { accountTypesGranting, rolesUpdateStep } from '@/lambdas/accounts/account-type-access';
import {
  GROUP_NAME_LIMITS,
  type GroupWithMembers,
  groupFromItem,
  groupIdByName,
  groupItem,
  groupNameGuard,
  loadGroup,
  membershipItem,
} from '@/lambdas/groups/group-items';
import { indexedLookup, matchesScimFilter, parseScimFilter } from '@/lambdas/scim/filter';
import { commitScimChange } from '@/lambdas/scim/scim-change';
import { badRequest, ScimError } from '@/lambdas/scim/scim-error';
import { attributeValue, isObject } from '@/lambdas/scim/scim-patch';
import { assertIfMatch, metaOf, SCHEMAS } from '@/lambdas/scim/scim-resource';
import { scimUserOf } from '@/lambdas/scim/scim-user-schema';
import type { ScimContext } from '@/lambdas/scim/scim-users';
import type { TxStep } from '@/lambdas/shared/change';
import { ConflictError } from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { checkName } from '@/lambdas/shared/input';
import { ENTITY, entityKey, membershipKey, uniqueKey } from '@/lambdas/shared/keys';
import {
  getMany,
  listByKind,
  mapConcurrent,
  onlyIfVersion,
  stringAttr,
  versionedUpdate,
} from '@/lambdas/shared/store';

/**
 * SCIM Groups over staxid groups of GroupType SCIM (read-only through the Stax API, see
 * lambdas/groups/groups.ts). `displayName` is the group's Name (unique, 3 to 64 characters),
 * `externalId` is kept as `ExternalId`, `members` are membership items. Every change (group,
 * name guard, members, the access of account types when it is deleted) is ONE transaction:
 * a change of more than 100 items is refused with `tooMany`.
 */

type JsonObject = Record<string, unknown>;

/** What a POST or PUT (or a patched resource) says about a group. */
export interface ScimGroupInput {
  readonly displayName: string;
  readonly externalId?: string;
  /** User ids, lower case, each once. */
  readonly members: readonly string[];
}

const GROUP_READ_CONCURRENCY = 16;

/** The group a SCIM body describes. */
export function parseScimGroup(body: unknown): ScimGroupInput {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'The body must be a SCIM Group object');
  const displayName = attributeValue(body, 'displayName');
  if (typeof displayName !== 'string') {
    throw badRequest('invalidValue', 'displayName is required: the group name, 3 to 64 characters');
  }
  checkName(displayName, 'displayName', GROUP_NAME_LIMITS);
  const externalId = attributeValue(body, 'externalId');
  if (
    externalId !== undefined &&
    externalId !== null &&
    (typeof externalId !== 'string' || externalId.length > 1024)
  ) {
    throw badRequest('invalidValue', 'externalId must be a string of at most 1024 characters');
  }
  const members = attributeValue(body, 'members') ?? [];
  if (!Array.isArray(members))
    throw badRequest('invalidValue', 'members must be an array of {"value": "<user id>"}');
  const ids = members.map((member, index) => {
    const value = isObject(member) ? attributeValue(member, 'value') : undefined;
    if (typeof value !== 'string' || !isUuid(value)) {
      throw badRequest(
        'invalidValue',
        `members[${index}].value must be the id of a SCIM user (as POST /Users returned it)`,
      );
    }
    return value.toLowerCase();
  });
  return {
    displayName,
    ...(typeof externalId === 'string' && externalId !== '' && { externalId }),
    members: [...new Set(ids)],
  };
}

/** A SCIM group's representation. */
export function toScimGroup(
  found: GroupWithMembers,
  externalId: string | undefined,
  baseUrl: string,
): JsonObject {
  const { group, members } = found;
  return {
    schemas: [SCHEMAS.group],
    id: group.id,
    ...(externalId !== undefined && { externalId }),
    displayName: group.name,
    members: members.map((userId) => ({ value: userId, $ref: `${baseUrl}/Users/${userId}`, type: 'User' })),
    meta: metaOf({
      resourceType: 'Group',
      created: group.createdTs ?? new Date(0).toISOString(),
      lastModified: group.modifiedTs ?? group.createdTs ?? new Date(0).toISOString(),
      location: `${baseUrl}/Groups/${group.id}`,
      version: group.version ?? 0,
    }),
  };
}

interface StoredScimGroup {
  readonly found: GroupWithMembers;
  readonly externalId?: string;
  readonly resource: JsonObject;
}

async function loadScimGroup(context: ScimContext, id: string): Promise<StoredScimGroup | undefined> {
  if (!isUuid(id)) return undefined;
  const found = await loadGroup(context.deps.db, id.toLowerCase());
  if (found?.group.groupType !== 'SCIM') return undefined;
  const [item] = await getMany(context.deps.db, [entityKey(ENTITY.group, found.group.id)]);
  const externalId = item ? stringAttr(item, 'ExternalId') : undefined;
  return {
    found,
    ...(externalId !== undefined && { externalId }),
    resource: toScimGroup(found, externalId, context.baseUrl),
  };
}

/** The SCIM group with this id, or 404. */
export async function getScimGroup(context: ScimContext, id: string): Promise<JsonObject> {
  return (await requireScimGroup(context, id)).resource;
}

async function requireScimGroup(context: ScimContext, id: string): Promise<StoredScimGroup> {
  const found = await loadScimGroup(context, id);
  if (!found)
    throw new ScimError(404, `Group ${id} not found: it was deleted, or was not created through SCIM`);
  return found;
}

/**
 * The SCIM groups a filter selects, by name. `id eq` and `displayName eq` read one group
 * (its name guard, then its partition); other filters read every group.
 */
export async function listScimGroups(
  context: ScimContext,
  filterText: string | undefined,
): Promise<JsonObject[]> {
  const filter =
    filterText === undefined || filterText.trim() === '' ? undefined : parseScimFilter(filterText);
  const lookup = filter === undefined ? undefined : indexedLookup(filter);
  let ids: string[];
  if (lookup?.attribute === 'id') ids = [lookup.value];
  else if (lookup?.attribute === 'displayName') {
    const id = lookup.value === '' ? undefined : await groupIdByName(context.deps.db, lookup.value);
    ids = id === undefined ? [] : [id];
  } else {
    ids = (await listByKind(context.deps.db, ENTITY.group))
      .map(groupFromItem)
      .filter((group) => group.groupType === 'SCIM')
      .map((group) => group.id);
  }
  const loaded = await mapConcurrent(ids, GROUP_READ_CONCURRENCY, (id) => loadScimGroup(context, id));
  return loaded
    .filter((found): found is StoredScimGroup => found !== undefined)
    .map((found) => found.resource)
    .filter((resource) => filter === undefined || matchesScimFilter(filter, resource))
    .sort((a, b) => String(a.displayName).localeCompare(String(b.displayName)));
}

/** POST /Groups: a SCIM group with its members; 409 `uniqueness` when the name is taken. */
export async function createScimGroup(context: ScimContext, input: ScimGroupInput): Promise<JsonObject> {
  const { deps } = context;
  const id = newId();
  return commitScimChange(deps, { ...context, type: 'scim.CreateGroup' }, async () => {
    await assertNameFree(context, input.displayName);
    await assertUsersExist(context, input.members);
    const now = deps.clock.now().toISOString();
    const group = {
      id,
      name: input.displayName,
      groupType: 'SCIM' as const,
      status: 'ACTIVE' as const,
      createdTs: now,
      modifiedTs: now,
      organisationId: deps.organisationId,
      version: 1,
    };
    const item = {
      ...groupItem(group),
      ...(input.externalId !== undefined && { ExternalId: input.externalId }),
    };
    return {
      steps: [
        {
          item: {
            Put: {
              TableName: deps.db.tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        },
        nameGuardPut(context, input.displayName, id),
        ...input.members.map((userId) => ({
          item: { Put: { TableName: deps.db.tableName, Item: membershipItem(id, userId, now) } },
        })),
      ],
      result: toScimGroup({ group, members: [...input.members].sort() }, input.externalId, context.baseUrl),
      targets: [{ type: 'group', id, name: input.displayName }],
      detail: { AddedMembers: input.members },
    };
  });
}

/** PUT /Groups/{id}, and PATCH once applied: the name, externalId and members become what `describe` says. */
export async function replaceScimGroup(
  context: ScimContext,
  id: string,
  ifMatch: string | undefined,
  describe: (current: JsonObject) => ScimGroupInput,
): Promise<JsonObject> {
  const { deps } = context;
  return commitScimChange(deps, { ...context, type: 'scim.UpdateGroup' }, async () => {
    const current = await requireScimGroup(context, id);
    const { group, members } = current.found;
    assertIfMatch(ifMatch, group.version ?? 0);
    const input = describe(current.resource);
    const added = input.members.filter((userId) => !members.includes(userId));
    const removed = members.filter((userId) => !input.members.includes(userId));
    const renamed = input.displayName !== group.name;
    if (!renamed && added.length === 0 && removed.length === 0 && input.externalId === current.externalId) {
      return { steps: [], result: current.resource, targets: [] };
    }
    const now = deps.clock.now().toISOString();
    const steps: TxStep[] = [
      {
        item: versionedUpdate(
          deps.db.tableName,
          entityKey(ENTITY.group, group.id),
          group.version,
          { Name: input.displayName, GSI1SK: input.displayName.toLowerCase(), ExternalId: input.externalId },
          now,
        ),
      },
    ];
    if (renamed && input.displayName.toLowerCase() !== group.name.toLowerCase()) {
      await assertNameFree(context, input.displayName);
      steps.push(nameGuardPut(context, input.displayName, group.id), {
        item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('GROUPNAME', group.name) } },
      });
    } else if (renamed) {
      steps.push({
        item: { Put: { TableName: deps.db.tableName, Item: groupNameGuard(input.displayName, group.id) } },
      });
    }
    await assertUsersExist(context, added);
    for (const userId of added) {
      steps.push({
        item: { Put: { TableName: deps.db.tableName, Item: membershipItem(group.id, userId, now) } },
      });
    }
    for (const userId of removed) {
      const { PK, SK } = membershipKey(group.id, userId);
      steps.push({ item: { Delete: { TableName: deps.db.tableName, Key: { PK, SK } } } });
    }
    const updated = { ...group, name: input.displayName, modifiedTs: now, version: (group.version ?? 0) + 1 };
    return {
      steps,
      result: toScimGroup(
        { group: updated, members: [...input.members].sort() },
        input.externalId,
        context.baseUrl,
      ),
      targets: [{ type: 'group', id: group.id, name: input.displayName }],
      detail: {
        AddedMembers: added,
        RemovedMembers: removed,
        ...(renamed && { From: group.name, To: input.displayName }),
      },
    };
  });
}

/** DELETE /Groups/{id}: the group, its name guard, its memberships and the access granted to it. */
export async function deleteScimGroup(
  context: ScimContext,
  id: string,
  ifMatch: string | undefined,
): Promise<void> {
  const { deps } = context;
  await commitScimChange(deps, { ...context, type: 'scim.DeleteGroup' }, async () => {
    const current = await requireScimGroup(context, id);
    const { group, members } = current.found;
    assertIfMatch(ifMatch, group.version ?? 0);
    const granting = await accountTypesGranting(deps.db, [group.id]);
    const now = deps.clock.now().toISOString();
    return {
      steps: [
        {
          item: {
            Delete: {
              TableName: deps.db.tableName,
              Key: entityKey(ENTITY.group, group.id),
              ...onlyIfVersion(group.version),
            },
          },
        },
        { item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('GROUPNAME', group.name) } } },
        ...members.map((userId) => {
          const { PK, SK } = membershipKey(group.id, userId);
          return { item: { Delete: { TableName: deps.db.tableName, Key: { PK, SK } } } };
        }),
        ...granting.map((type) =>
          rolesUpdateStep(
            deps.db,
            type,
            type.roles.filter((role) => role.GroupId !== group.id),
            now,
          ),
        ),
      ],
      result: undefined,
      targets: [
        { type: 'group', id: group.id, name: group.name },
        ...granting.map((type) => ({ type: 'account-type', id: type.id, name: type.name })),
      ],
      detail: { RemovedMembers: members },
    };
  });
}

async function assertNameFree(context: ScimContext, name: string): Promise<void> {
  const taken = await getMany(context.deps.db, [uniqueKey('GROUPNAME', name)]);
  if (taken.length > 0) throw nameTaken(name);
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(
    `A group named ${JSON.stringify(name)} already exists in staxid: choose another displayName`,
  );
}

function nameGuardPut(context: ScimContext, name: string, groupId: string): TxStep {
  return {
    item: {
      Put: {
        TableName: context.deps.db.tableName,
        Item: groupNameGuard(name, groupId),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    onConditionFailed: () => nameTaken(name),
  };
}

/**
 * Members must be users that SCIM provisioned (AuthOrigin scim) and are not DELETED: a SCIM
 * client decides about its own users only, never puts a local or federated user in a group.
 */
async function assertUsersExist(context: ScimContext, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  if (userIds.length > 100) {
    throw badRequest(
      'tooMany',
      `A change may add at most 100 members (got ${userIds.length}): send them in several PATCH requests`,
    );
  }
  const items = await getMany(
    context.deps.db,
    userIds.map((userId) => entityKey(ENTITY.user, userId)),
  );
  const live = new Set(items.map(scimUserOf).flatMap((user) => (user ? [user.Id] : [])));
  const missing = userIds.find((userId) => !live.has(userId));
  if (missing !== undefined) {
    throw badRequest(
      'invalidValue',
      `members: user ${missing} does not exist (or was deleted, or was not provisioned by SCIM): provision the user first`,
    );
  }
}
