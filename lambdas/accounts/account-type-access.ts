import {
  ACCOUNT_TYPE_NAME_LIMITS,
  accountTypeFromItem,
  accountTypeIdByName,
  getAccountTypes,
  listAccountTypes,
  type RoleGrant,
  type StoredAccountType,
} from '@/lambdas/accounts/account-items';
import { GROUP_NAME_LIMITS, groupIdByName } from '@/lambdas/groups/group-items';
import type { RequestContext } from '@/lambdas/groups/groups';
import {
  assertFitsTransaction,
  type ChangePlan,
  runChange,
  type TxStep,
  taskDetail,
} from '@/lambdas/shared/change';
import type { AccessLevel } from '@/lambdas/shared/constants';
import type { Db } from '@/lambdas/shared/db';
import type { ServiceDeps } from '@/lambdas/shared/deps';
import { NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { getMany, versionedUpdate } from '@/lambdas/shared/store';

/**
 * Access: which group holds which built-in role (`admin`, `developer`, `readonly`) in the
 * accounts of which account type (accounts.UpdateAccountTypeAccess). The grants live on the
 * account type item (`Roles`), so a sign-in reads them with the account types.
 */

export type AccountTypeWithRoles = StoredAccountType;

/** The most access maps one request may list (each names an account type: DynamoDB writes at most 100 items at once). */
export const MAX_ACCESS_MAPS = 100;

/** The account types whose `Roles` name any of `groupIds`, read consistently (fresh `Version`s). */
export async function accountTypesGranting(
  db: Db,
  groupIds: readonly string[],
): Promise<StoredAccountType[]> {
  const names = (type: StoredAccountType) => type.roles.some((role) => groupIds.includes(role.GroupId));
  const candidates = (await listAccountTypes(db)).filter(names);
  if (candidates.length === 0) return [];
  const fresh = await getMany(
    db,
    candidates.map((type) => entityKey(ENTITY.accountType, type.id)),
  );
  return fresh.map(accountTypeFromItem).filter(names);
}

/** Sets an account type's `Roles` under its Version condition. */
export function rolesUpdateStep(
  db: Db,
  type: StoredAccountType,
  roles: readonly RoleGrant[],
  now: string,
): TxStep {
  return {
    item: versionedUpdate(
      db.tableName,
      entityKey(ENTITY.accountType, type.id),
      type.version,
      { Roles: roles },
      now,
    ),
  };
}

export interface AccountTypeAccessMap {
  readonly AccountTypeId?: string;
  readonly AccountTypeName?: string;
  readonly GroupId?: string;
  readonly GroupName?: string;
  readonly RoleName: AccessLevel;
}

export interface UpdateAccountTypeAccessBody {
  readonly AddRoles?: readonly AccountTypeAccessMap[];
  readonly RemoveRoles?: readonly AccountTypeAccessMap[];
}

interface Grant {
  readonly accountTypeId: string;
  readonly groupId: string;
  readonly roleName: AccessLevel;
  readonly add: boolean;
}

export async function updateAccountTypeAccess(
  deps: ServiceDeps,
  context: RequestContext,
  body: UpdateAccountTypeAccessBody,
) {
  const add = body.AddRoles ?? [];
  const remove = body.RemoveRoles ?? [];
  if (add.length + remove.length === 0) {
    throw new ValidationError('Body', 'AddRoles or RemoveRoles must list at least one access map');
  }
  if (add.length + remove.length > MAX_ACCESS_MAPS) {
    throw new ValidationError(
      'Body',
      `lists ${add.length + remove.length} access maps; one all-or-nothing change takes at most ${MAX_ACCESS_MAPS}: split it into smaller requests`,
    );
  }
  const { taskId } = await runChange(
    deps,
    {
      ...context,
      operationId: 'accounts.UpdateAccountTypeAccess',
      taskOperation: 'accounts:UpdateAccountTypeAccess',
    },
    async (): Promise<ChangePlan<undefined>> => {
      const grants = new Map<string, Grant>();
      const names = new NameCache(deps.db);
      const resolveAll = async (list: readonly AccountTypeAccessMap[], field: string, isAdd: boolean) => {
        for (const [index, entry] of list.entries()) {
          const at = `Body.${field}[${index}]`;
          const accountTypeId = await resolveAccountTypeId(deps.db, entry, at, names);
          const groupId = await resolveGroupId(entry, at, names);
          const key = `${accountTypeId}/${groupId}/${entry.RoleName}`;
          const previous = grants.get(key);
          if (previous && previous.add !== isAdd) {
            throw new ValidationError(
              at,
              `the ${entry.RoleName} role of group ${groupId} on account type ${accountTypeId} is both added and removed: list it once`,
            );
          }
          grants.set(key, { accountTypeId, groupId, roleName: entry.RoleName, add: isAdd });
        }
      };
      await resolveAll(add, 'AddRoles', true);
      await resolveAll(remove, 'RemoveRoles', false);

      const typeIds = [...new Set([...grants.values()].map((grant) => grant.accountTypeId))];
      const addedGroups = [
        ...new Set([...grants.values()].filter((grant) => grant.add).map((grant) => grant.groupId)),
      ];
      assertFitsTransaction(
        typeIds.length + addedGroups.length + 1,
        'Body',
        `${typeIds.length} account types and ${addedGroups.length} groups`,
      );
      const types = await getAccountTypes(deps.db, typeIds);
      for (const id of typeIds) if (!types.has(id)) throw new NotFoundError('Account type', id);
      const groupItems = await getMany(
        deps.db,
        addedGroups.map((id) => entityKey(ENTITY.group, id)),
      );
      const foundGroups = new Set(groupItems.map((item) => String(item.PK).slice(`${ENTITY.group}#`.length)));
      for (const id of addedGroups) if (!foundGroups.has(id)) throw new NotFoundError('Group', id);

      const now = deps.clock.now().toISOString();
      const logs: string[] = [];
      const steps: TxStep[] = [];
      for (const type of types.values()) {
        let roles = [...type.roles];
        for (const grant of grants.values()) {
          if (grant.accountTypeId !== type.id) continue;
          const holds = roles.some(
            (role) => role.GroupId === grant.groupId && role.RoleName === grant.roleName,
          );
          if (grant.add && !holds) roles.push({ GroupId: grant.groupId, RoleName: grant.roleName });
          if (!grant.add && holds) {
            roles = roles.filter(
              (role) => !(role.GroupId === grant.groupId && role.RoleName === grant.roleName),
            );
          }
          logs.push(
            `${grant.add ? 'Granted' : 'Revoked'} ${grant.roleName} on account type ${JSON.stringify(type.name)} ${grant.add ? 'to' : 'from'} group ${grant.groupId}${grant.add === holds ? ' (no change)' : ''}`,
          );
        }
        steps.push(rolesUpdateStep(deps.db, type, roles, now));
      }
      // A group granted access must still exist when the grant is written.
      for (const groupId of addedGroups) {
        steps.push({
          item: {
            ConditionCheck: {
              TableName: deps.db.tableName,
              Key: entityKey(ENTITY.group, groupId),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
        });
      }
      return {
        steps,
        result: undefined,
        logs,
        targets: [
          ...[...types.values()].map((type) => ({ type: 'account-type', id: type.id, name: type.name })),
          ...[...new Set([...grants.values()].map((grant) => grant.groupId))].map((id) => ({
            type: 'group',
            id,
          })),
        ],
        detail: {
          add: [...grants.values()].filter((grant) => grant.add).map(grantDetail),
          remove: [...grants.values()].filter((grant) => !grant.add).map(grantDetail),
        },
      };
    },
  );
  return {
    DetailType: 'accounts.UpdateAccountTypeAccess',
    Detail: taskDetail('accounts:UpdateAccountTypeAccess', taskId, 'Account type access updated'),
  };
}

function grantDetail(grant: Grant) {
  return { accountTypeId: grant.accountTypeId, groupId: grant.groupId, roleName: grant.roleName };
}

/** The account type an entry names, by id or by name (and when by both, they must agree). */
/** Name lookups of one request, each done once. */
export class NameCache {
  private readonly accountTypes = new Map<string, Promise<string | undefined>>();
  private readonly groups = new Map<string, Promise<string | undefined>>();

  constructor(private readonly db: Db) {}

  accountType(name: string): Promise<string | undefined> {
    return this.once(this.accountTypes, name, () => accountTypeIdByName(this.db, name));
  }

  group(name: string): Promise<string | undefined> {
    return this.once(this.groups, name, () => groupIdByName(this.db, name));
  }

  private once(
    cache: Map<string, Promise<string | undefined>>,
    name: string,
    load: () => Promise<string | undefined>,
  ): Promise<string | undefined> {
    const key = name.toLowerCase();
    let found = cache.get(key);
    if (!found) {
      found = load();
      cache.set(key, found);
    }
    return found;
  }
}

export async function resolveAccountTypeId(
  db: Db,
  entry: { readonly AccountTypeId?: string; readonly AccountTypeName?: string },
  at: string,
  names: NameCache = new NameCache(db),
): Promise<string> {
  const byId = entry.AccountTypeId?.toLowerCase();
  if (entry.AccountTypeName === undefined) {
    if (byId === undefined)
      throw new ValidationError(at, 'name the account type by AccountTypeId or AccountTypeName');
    return byId;
  }
  assertNameLength(entry.AccountTypeName, `${at}.AccountTypeName`, ACCOUNT_TYPE_NAME_LIMITS.max);
  const byName = await names.accountType(entry.AccountTypeName);
  if (!byName) throw new NotFoundError('Account type', entry.AccountTypeName);
  if (byId !== undefined && byId !== byName) {
    throw new ValidationError(
      `${at}.AccountTypeName`,
      `names account type ${byName}, but AccountTypeId is ${byId}: give one of them, or two that agree`,
    );
  }
  return byName;
}

async function resolveGroupId(entry: AccountTypeAccessMap, at: string, names: NameCache): Promise<string> {
  const byId = entry.GroupId?.toLowerCase();
  if (entry.GroupName === undefined) {
    if (byId === undefined) throw new ValidationError(at, 'name the group by GroupId or GroupName');
    return byId;
  }
  assertNameLength(entry.GroupName, `${at}.GroupName`, GROUP_NAME_LIMITS.max);
  const byName = await names.group(entry.GroupName);
  if (!byName) throw new NotFoundError('Group', entry.GroupName);
  if (byId !== undefined && byId !== byName) {
    throw new ValidationError(
      `${at}.GroupName`,
      `names group ${byName}, but GroupId is ${byId}: give one of them, or two that agree`,
    );
  }
  return byName;
}

/** A name longer than any stored one names nothing; refuse it before it reaches a key. */
function assertNameLength(name: string, field: string, max: number): void {
  if (name.length > max)
    throw new ValidationError(field, `must be at most ${max} characters (no name is longer)`);
}
