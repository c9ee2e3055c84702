import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ScimDeps } from '@/lambdas/scim/deps';
import { indexedLookup, matchesScimFilter, parseScimFilter } from '@/lambdas/scim/filter';
import { commitScimChange, type DirectoryEffect, type ScimRequest } from '@/lambdas/scim/scim-change';
import { ScimError } from '@/lambdas/scim/scim-error';
import { assertIfMatch } from '@/lambdas/scim/scim-resource';
import {
  DEFAULT_SCIM_ROLE,
  externalIdIndexKey,
  type ScimUserInput,
  scimItemAttributes,
  scimUserOf,
  toScimUser,
} from '@/lambdas/scim/scim-user-schema';
import type { TransactItem, TxStep } from '@/lambdas/shared/change';
import { ConflictError } from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { ENTITY } from '@/lambdas/shared/keys';
import { listByKind, queryAll } from '@/lambdas/shared/store';
import {
  AUTH_ORIGIN,
  cognitoUsernameOf,
  emailGuardKey,
  type Item,
  type UserRecord,
  type UserStatus,
  userItem,
  userKey,
} from '@/lambdas/users/user-model';

/**
 * SCIM Users over staxid's user items (lambdas/users/user-model.ts): AuthOrigin `scim`,
 * the email guard for `userName` uniqueness, `Version` for ETags and lost updates. A
 * DISABLED user's AWS sessions are revoked by the table stream (ADR 0013); a user who has
 * signed in has a Cognito user, disabled, enabled and deleted with them.
 */

type JsonObject = Record<string, unknown>;

/** One SCIM request on users: who asks (the token), and where resources live (for `meta.location`). */
export interface ScimContext extends Omit<ScimRequest, 'type'> {
  readonly deps: ScimDeps;
  readonly baseUrl: string;
}

/** A SCIM user: its item, its record and its representation. */
export interface StoredScimUser {
  readonly item: Item;
  readonly user: UserRecord;
  readonly resource: JsonObject;
}

function stored(context: ScimContext, item: Item, user: UserRecord): StoredScimUser {
  return { item, user, resource: toScimUser(item, user, context.baseUrl) };
}

/** The SCIM user with this id (GetItem), or 404. */
export async function getScimUser(context: ScimContext, id: string): Promise<StoredScimUser> {
  const item = isUuid(id) ? await getUserItem(context.deps, id.toLowerCase()) : undefined;
  const user = scimUserOf(item);
  if (!item || !user)
    throw new ScimError(404, `User ${id} not found: it was deleted, or never provisioned through SCIM`);
  return stored(context, item, user);
}

async function getUserItem(deps: ScimDeps, id: string): Promise<Item | undefined> {
  const { Item: item } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: userKey(id), ConsistentRead: true }),
  );
  return item;
}

/**
 * The SCIM users a filter selects, sorted by userName. `id eq`, `userName eq` and
 * `externalId eq` are one GetItem or one Query; any other filter lists every user (GSI1)
 * and filters in memory: its cost grows with the number of users.
 */
export async function listScimUsers(
  context: ScimContext,
  filterText: string | undefined,
): Promise<JsonObject[]> {
  const filter =
    filterText === undefined || filterText.trim() === '' ? undefined : parseScimFilter(filterText);
  const lookup = filter === undefined ? undefined : indexedLookup(filter);
  const { deps } = context;
  let items: Item[];
  if (lookup?.attribute === 'id') {
    const item = isUuid(lookup.value) ? await getUserItem(deps, lookup.value.toLowerCase()) : undefined;
    items = item ? [item] : [];
  } else if (lookup?.attribute === 'userName') {
    // An empty sort key is not a valid key condition; and no user has an empty email.
    items =
      lookup.value === ''
        ? []
        : await queryIndex(deps, 'GSI1', 'GSI1PK = :pk AND GSI1SK = :sk', {
            ':pk': ENTITY.user,
            ':sk': lookup.value.toLowerCase(),
          });
  } else if (lookup?.attribute === 'externalId') {
    items = await queryIndex(deps, 'GSI2', 'GSI2PK = :pk', { ':pk': externalIdIndexKey(lookup.value) });
  } else {
    items = await listByKind(deps.db, ENTITY.user);
  }
  const resources: JsonObject[] = [];
  for (const item of items) {
    const user = scimUserOf(item);
    if (!user) continue;
    const resource = toScimUser(item, user, context.baseUrl);
    if (filter === undefined || matchesScimFilter(filter, resource)) resources.push(resource);
  }
  return resources.sort((a, b) => String(a.userName).localeCompare(String(b.userName)));
}

async function queryIndex(
  deps: ScimDeps,
  index: string,
  condition: string,
  values: Record<string, unknown>,
): Promise<Item[]> {
  const { Items: items = [] } = await deps.db.doc.send(
    new QueryCommand({
      TableName: deps.db.tableName,
      IndexName: index,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
    }),
  );
  return items;
}

/** The staxid user a SCIM create makes (AuthOrigin scim): ACTIVE, or DISABLED when `active` is false. */
export function newScimUserRecord(
  input: ScimUserInput,
  id: string,
  createdBy: string,
  now: string,
): UserRecord {
  return {
    Id: id,
    Email: input.userName,
    FirstName: input.givenName,
    LastName: input.familyName,
    Role: input.role ?? DEFAULT_SCIM_ROLE,
    Status: input.active ? 'ACTIVE' : 'DISABLED',
    ...(!input.active && { DisabledFromStatus: 'ACTIVE' as UserStatus }),
    AuthOrigin: AUTH_ORIGIN.scim,
    CreatedBy: createdBy,
    CreatedTS: now,
    ModifiedTS: now,
    Version: 1,
  };
}

/** POST /Users: a new ACTIVE (or, with `active: false`, DISABLED) user; 409 `uniqueness` when the email is taken. */
export async function createScimUser(context: ScimContext, input: ScimUserInput): Promise<StoredScimUser> {
  const { deps } = context;
  const id = newId();
  return commitScimChange(deps, { ...context, type: 'scim.CreateUser' }, async () => {
    await assertEmailFree(deps, input.userName);
    const now = deps.clock.now().toISOString();
    const user = newScimUserRecord(input, id, context.tokenId, now);
    const item = { ...userItem(user), ...scimItemAttributes(input) };
    return {
      steps: [{ item: put(deps, item, 'attribute_not_exists(PK)') }, guardPut(deps, input.userName, id)],
      result: stored(context, item, user),
      targets: [{ type: 'user', id, name: user.Email }],
      detail: { Role: user.Role, Status: user.Status, AuthOrigin: user.AuthOrigin },
    };
  });
}

/**
 * PUT /Users/{id}, and PATCH once applied: the user becomes what `describe` makes of its
 * current representation. `If-Match` is checked against the version read.
 */
export async function replaceScimUser(
  context: ScimContext,
  id: string,
  ifMatch: string | undefined,
  describe: (current: JsonObject) => ScimUserInput,
): Promise<StoredScimUser> {
  const { deps } = context;
  return commitScimChange(deps, { ...context, type: 'scim.UpdateUser' }, async () => {
    const current = await getScimUser(context, id);
    assertIfMatch(ifMatch, current.user.Version);
    const input = describe(current.resource);
    const updated = updatedRecord(current.user, input, deps.clock.now().toISOString());
    const item = replacedItem(current.item, updated, input);
    if (sameContent(current.item, item)) return { steps: [], result: current, targets: [] };

    const steps: TxStep[] = [{ item: put(deps, item, '#version = :expected', current.user.Version) }];
    const undo: TransactItem[] = [put(deps, current.item, '#version = :expected', updated.Version)];
    if (updated.Email.toLowerCase() !== current.user.Email.toLowerCase()) {
      await assertEmailFree(deps, updated.Email);
      steps.push(
        { item: guardDelete(deps, current.user.Email, current.user.Id) },
        guardPut(deps, updated.Email, updated.Id),
      );
      undo.push(
        guardDelete(deps, updated.Email, updated.Id),
        guardPut(deps, current.user.Email, updated.Id).item,
      );
    }
    return {
      steps,
      undo,
      effects: statusEffects(deps, current.user, updated),
      result: stored(context, item, updated),
      targets: [{ type: 'user', id: updated.Id, name: updated.Email }],
      detail: { Changed: changedFields(current.user, updated), Status: updated.Status },
    };
  });
}

/** DELETE /Users/{id}: Status DELETED (as DeleteUser), its email released, its memberships removed. */
export async function deleteScimUser(
  context: ScimContext,
  id: string,
  ifMatch: string | undefined,
): Promise<void> {
  const { deps } = context;
  await commitScimChange(deps, { ...context, type: 'scim.DeleteUser' }, async () => {
    const current = await getScimUser(context, id);
    assertIfMatch(ifMatch, current.user.Version);
    const memberships = (
      await queryAll(deps.db, {
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :user AND begins_with(GSI2SK, :group)',
        ExpressionAttributeValues: {
          ':user': `${ENTITY.user}#${current.user.Id}`,
          ':group': `${ENTITY.group}#`,
        },
      })
    ).filter((membership) => String(membership.SK).startsWith('MEMBER#'));
    const now = deps.clock.now().toISOString();
    const deleted: UserRecord = {
      ...current.user,
      Status: 'DELETED',
      DeletedTS: now,
      ModifiedTS: now,
      Version: current.user.Version + 1,
    };
    const { GSI2PK: _index, GSI2SK: _sort, ...kept } = current.item;
    const username = cognitoUsernameOf(current.user);
    return {
      steps: [
        { item: put(deps, { ...kept, ...userItem(deleted) }, '#version = :expected', current.user.Version) },
        { item: guardDelete(deps, current.user.Email, current.user.Id) },
        ...memberships.map((membership) => ({
          item: { Delete: { TableName: deps.db.tableName, Key: { PK: membership.PK, SK: membership.SK } } },
        })),
      ],
      undo: [
        put(deps, current.item, '#version = :expected', deleted.Version),
        guardPut(deps, current.user.Email, current.user.Id).item,
        ...memberships.map((membership) => ({ Put: { TableName: deps.db.tableName, Item: membership } })),
      ],
      effects: username === undefined ? [] : [{ run: () => deps.directory.deleteUser(username) }],
      result: undefined,
      targets: [{ type: 'user', id: current.user.Id, name: current.user.Email }],
      detail: {
        RemovedFromGroups: memberships.map((membership) => String(membership.GroupId ?? membership.PK)),
      },
    };
  });
}

function updatedRecord(current: UserRecord, input: ScimUserInput, now: string): UserRecord {
  const disabling = !input.active && current.Status !== 'DISABLED';
  const enabling = input.active && current.Status === 'DISABLED';
  const { DisabledFromStatus: disabledFrom, ...rest } = current;
  const status: UserStatus = disabling ? 'DISABLED' : enabling ? (disabledFrom ?? 'ACTIVE') : current.Status;
  return {
    ...rest,
    Email: input.userName,
    FirstName: input.givenName,
    LastName: input.familyName,
    Role: input.role ?? current.Role,
    Status: status,
    ...(disabling && { DisabledFromStatus: current.Status }),
    ...(!disabling && !enabling && disabledFrom !== undefined && { DisabledFromStatus: disabledFrom }),
    ModifiedTS: now,
    Version: current.Version + 1,
  };
}

/** The item after a replace: attributes others wrote (CognitoUsername, ...) kept; SCIM's own replaced. */
function replacedItem(current: Item, updated: UserRecord, input: ScimUserInput): Item {
  const {
    ExternalId: _id,
    GSI2PK: _pk,
    GSI2SK: _sk,
    ScimProfile: _profile,
    DisabledFromStatus: _from,
    ...kept
  } = current;
  return { ...kept, ...userItem(updated), ...scimItemAttributes(input) };
}

function sameContent(before: Item, after: Item): boolean {
  const strip = ({ Version: _version, ModifiedTS: _modified, ...rest }: Item) =>
    JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return strip(before) === strip(after);
}

function changedFields(before: UserRecord, after: UserRecord): string[] {
  return (['Email', 'FirstName', 'LastName', 'Role', 'Status'] as const).filter(
    (field) => before[field] !== after[field],
  );
}

/** Cognito follows the status of a user who has signed in (and so has a pool user). */
function statusEffects(deps: ScimDeps, before: UserRecord, after: UserRecord): DirectoryEffect[] {
  const username = cognitoUsernameOf(before);
  if (username === undefined || (before.Status === 'DISABLED') === (after.Status === 'DISABLED')) return [];
  return after.Status === 'DISABLED'
    ? [{ run: () => deps.directory.disable(username), undo: () => deps.directory.enable(username) }]
    : [{ run: () => deps.directory.enable(username), undo: () => deps.directory.disable(username) }];
}

async function assertEmailFree(deps: ScimDeps, email: string): Promise<void> {
  const { Item: guard } = await deps.db.doc.send(
    new GetCommand({ TableName: deps.db.tableName, Key: emailGuardKey(email), ConsistentRead: true }),
  );
  if (guard) throw emailTaken(email);
}

function emailTaken(email: string): ConflictError {
  return new ConflictError(
    `userName ${JSON.stringify(email)} already belongs to a staxid user: use another address, or link that user in your identity provider`,
  );
}

function put(deps: ScimDeps, item: Item, condition: string, expected?: number): TransactItem {
  return {
    Put: {
      TableName: deps.db.tableName,
      Item: item,
      ConditionExpression: condition,
      ...(expected !== undefined && {
        ExpressionAttributeNames: { '#version': 'Version' },
        ExpressionAttributeValues: { ':expected': expected },
      }),
    },
  };
}

function guardPut(deps: ScimDeps, email: string, userId: string): TxStep {
  return {
    item: put(deps, { ...emailGuardKey(email), UserId: userId }, 'attribute_not_exists(PK)'),
    onConditionFailed: () => emailTaken(email),
  };
}

function guardDelete(deps: ScimDeps, email: string, userId: string): TransactItem {
  return {
    Delete: {
      TableName: deps.db.tableName,
      Key: emailGuardKey(email),
      ConditionExpression: 'attribute_not_exists(PK) OR UserId = :user',
      ExpressionAttributeValues: { ':user': userId },
    },
  };
}
