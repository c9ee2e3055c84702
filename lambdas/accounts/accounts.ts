import {
  ACCESS_LEVELS,
  type AccountStatus,
  getAccount,
  listAccounts,
  listAccountTypes,
  type StoredAccount,
  type StoredAccountType,
} from '@/lambdas/accounts/account-items';
import { type AccessLevel, BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import type { Db } from '@/lambdas/shared/db';
import type { ReadDeps } from '@/lambdas/shared/deps';
import { NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { assertKnownQuery, csvParam, csvUuidParam } from '@/lambdas/shared/input';
import { ENTITY } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import { queryAll } from '@/lambdas/shared/store';

/**
 * Reading accounts (accounts.ReadAccounts, accounts.ReadAccount). Every account carries
 * `AWSLoginURLs` for the built-in roles the CALLER holds in it: through the groups they are
 * a member of and the access those groups have on the account's type. API tokens hold none.
 */

export interface AccountReadDeps extends ReadDeps {
  /** Base of the login URLs, without a trailing slash; without it, accounts carry no login URLs. */
  readonly consoleUrl?: string;
}

/** The query parameters of ReadAccounts and ReadAccount (the spec gives both the same). */
export const ACCOUNT_QUERY_PARAMETERS = [
  'account_names',
  'filter',
  'id_filter',
  'aws_account_id_filter',
  'account_type_filter',
  'offset',
  'limit',
  'sort',
  'sort_order',
  'include_tags',
] as const;

/** The Account `Status` values the `filter` parameter accepts (the spec's enum). */
const STATUS_FILTER_VALUES = [
  'ACTIVE',
  'AWSERROR',
  'CLOSED',
  'DISCOVERED',
  'ERROR',
  'INITIALIZING',
  'MAINTENANCE',
  'NEW',
  'NOAWS',
  'SUSPENDED',
  'OFFBOARDED',
  'ONBOARDING',
  'INACTIVE',
];

const SORT_FIELDS = [
  'Name',
  'AwsAccountId',
  'Status',
  'AccountRole',
  'AccountType',
  'CreatedTS',
  'ModifiedTS',
  'Id',
] as const;
type SortField = (typeof SORT_FIELDS)[number];

export const MAX_PAGE_SIZE = 1000;

export interface AccountQuery {
  readonly names?: readonly string[];
  readonly statuses?: readonly string[];
  readonly ids?: readonly string[];
  readonly awsAccountIds?: readonly string[];
  readonly accountTypeIds?: readonly string[];
  readonly offset?: number;
  readonly limit?: number;
  readonly sort?: SortField;
  readonly sortOrder: 'ASC' | 'DESC';
}

export function parseAccountQuery(query: Readonly<Record<string, string>>): AccountQuery {
  assertKnownQuery(query, ACCOUNT_QUERY_PARAMETERS);
  const statuses = csvParam(query, 'filter')?.map((status) => status.toUpperCase());
  for (const status of statuses ?? []) {
    if (!STATUS_FILTER_VALUES.includes(status)) {
      throw new ValidationError(
        'filter',
        `${JSON.stringify(status)} is not an account status: use ${STATUS_FILTER_VALUES.join(', ')}`,
      );
    }
  }
  const awsAccountIds = csvParam(query, 'aws_account_id_filter');
  for (const id of awsAccountIds ?? []) {
    if (!/^\d{12}$/.test(id)) {
      throw new ValidationError(
        'aws_account_id_filter',
        `${JSON.stringify(id)} is not a 12-digit AWS account id`,
      );
    }
  }
  const sort = query.sort;
  if (sort !== undefined && !(SORT_FIELDS as readonly string[]).includes(sort)) {
    throw new ValidationError('sort', `must be one of ${SORT_FIELDS.join(', ')}`);
  }
  const sortOrder = query.sort_order ?? 'DESC';
  if (sortOrder !== 'ASC' && sortOrder !== 'DESC')
    throw new ValidationError('sort_order', 'must be ASC or DESC');
  const includeTags = query.include_tags;
  if (includeTags !== undefined && includeTags !== 'true' && includeTags !== 'false') {
    throw new ValidationError('include_tags', 'must be true or false');
  }
  const offset = integerParam(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = integerParam(query, 'limit', 1, MAX_PAGE_SIZE);
  const names = csvParam(query, 'account_names');
  const ids = csvUuidParam(query, 'id_filter');
  const accountTypeIds = csvUuidParam(query, 'account_type_filter');
  return {
    ...(names && { names: names.map((name) => name.toLowerCase()) }),
    ...(statuses && { statuses }),
    ...(ids && { ids }),
    ...(awsAccountIds && { awsAccountIds }),
    ...(accountTypeIds && { accountTypeIds }),
    ...(offset !== undefined && { offset }),
    ...(limit !== undefined && { limit }),
    ...(sort !== undefined && { sort: sort as SortField }),
    sortOrder,
  };
}

function integerParam(query: Readonly<Record<string, string>>, name: string, min: number, max: number) {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()))
    throw new ValidationError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw.trim());
  if (value < min || value > max)
    throw new ValidationError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

export async function readAccounts(deps: AccountReadDeps, caller: Caller, query: AccountQuery) {
  const [accounts, levels] = await Promise.all([listAccounts(deps.db), callerLevels(deps, caller)]);
  const selected = sortAccounts(
    accounts.filter((account) => matches(account, query)),
    query,
  );
  const paged = query.offset !== undefined || query.limit !== undefined;
  const offset = query.offset ?? 0;
  const page = paged
    ? selected.slice(offset, query.limit === undefined ? undefined : offset + query.limit)
    : selected;
  return {
    Accounts: page.map((account) => accountResponse(deps, account, levels)),
    ...(paged && {
      Paging: {
        Total: selected.length,
        NextOffset:
          query.limit !== undefined && offset + query.limit < selected.length ? offset + query.limit : null,
        PrevOffset: offset > 0 ? Math.max(0, offset - (query.limit ?? offset)) : null,
      },
    }),
  };
}

export async function readAccount(
  deps: AccountReadDeps,
  caller: Caller,
  accountId: string,
  query: AccountQuery,
) {
  const [account, levels] = await Promise.all([getAccount(deps.db, accountId), callerLevels(deps, caller)]);
  if (!account) throw new NotFoundError('Account', accountId);
  return { Accounts: matches(account, query) ? [accountResponse(deps, account, levels)] : [] };
}

function matches(account: StoredAccount, query: AccountQuery): boolean {
  if (query.ids && !query.ids.includes(account.id)) return false;
  if (query.statuses && !query.statuses.includes(account.status)) return false;
  if (query.awsAccountIds && !query.awsAccountIds.includes(account.awsAccountId)) return false;
  if (query.accountTypeIds && !(account.accountType && query.accountTypeIds.includes(account.accountType))) {
    return false;
  }
  if (
    query.names &&
    !query.names.includes(account.name.toLowerCase()) &&
    !query.names.includes(account.awsName.toLowerCase())
  ) {
    return false;
  }
  return true;
}

function sortAccounts(accounts: StoredAccount[], query: AccountQuery): StoredAccount[] {
  const { sort } = query;
  if (!sort) return accounts;
  const value = (account: StoredAccount): string => {
    switch (sort) {
      case 'Name':
        return account.name.toLowerCase();
      case 'AwsAccountId':
        return account.awsAccountId;
      case 'Status':
        return account.status;
      case 'AccountRole':
        return account.accountRole;
      case 'AccountType':
        return account.accountType ?? '';
      case 'CreatedTS':
        return account.createdTs ?? '';
      case 'ModifiedTS':
        return account.modifiedTs ?? '';
      case 'Id':
        return account.id;
    }
  };
  const direction = query.sortOrder === 'ASC' ? 1 : -1;
  return [...accounts].sort(
    (a, b) => direction * (value(a).localeCompare(value(b)) || a.id.localeCompare(b.id)),
  );
}

/** The groups a user is a member of (GSI2) and every account type, read in parallel: two round trips in all. */
async function membershipsAndAccountTypes(db: Db, userId: string) {
  const [memberships, types] = await Promise.all([
    queryAll(db, {
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :user AND begins_with(GSI2SK, :group)',
      ExpressionAttributeValues: { ':user': `${ENTITY.user}#${userId}`, ':group': `${ENTITY.group}#` },
    }),
    listAccountTypes(db),
  ]);
  const groups = new Set(memberships.map((item) => String(item.GSI2SK).slice(`${ENTITY.group}#`.length)));
  return { groups, types };
}

function levelsOf(type: StoredAccountType, groups: ReadonlySet<string>): Set<AccessLevel> {
  return new Set(type.roles.filter((role) => groups.has(role.GroupId)).map((role) => role.RoleName));
}

/**
 * The built-in roles the caller holds, by account type: through the groups they are a
 * member of and those groups' access. API tokens hold none.
 */
export async function callerLevels(deps: ReadDeps, caller: Caller): Promise<Map<string, Set<AccessLevel>>> {
  const levels = new Map<string, Set<AccessLevel>>();
  if (caller.kind !== 'user') return levels;
  const { groups, types } = await membershipsAndAccountTypes(deps.db, caller.id);
  for (const type of types) {
    const held = levelsOf(type, groups);
    if (held.size > 0) levels.set(type.id, held);
  }
  return levels;
}

export interface BuiltinEntitlement {
  /** The Stax account id. */
  readonly accountId: string;
  readonly awsAccountId: string;
  readonly accountName: string;
  readonly level: AccessLevel;
  /** The IAM role in the account (BUILTIN_ROLE_NAMES). */
  readonly roleName: string;
}

/**
 * Every (ACTIVE account, built-in role) a user holds, from the account type items alone
 * (their `Roles` and `AwsAccounts`) and the user's memberships: two parallel Queries, whatever
 * the size of the organization. For sign-in and `GET /20190206/users/me/aws-roles`.
 */
export async function builtinEntitlements(db: Db, userId: string): Promise<BuiltinEntitlement[]> {
  const { groups, types } = await membershipsAndAccountTypes(db, userId);
  const entitlements: BuiltinEntitlement[] = [];
  for (const type of types) {
    const held = levelsOf(type, groups);
    if (held.size === 0) continue;
    for (const account of type.accounts) {
      if (account.Status !== 'ACTIVE' || !/^\d{12}$/.test(account.AwsAccountId)) continue;
      for (const level of ACCESS_LEVELS) {
        if (!held.has(level)) continue;
        entitlements.push({
          accountId: account.AccountId,
          awsAccountId: account.AwsAccountId,
          accountName: account.Name,
          level,
          roleName: BUILTIN_ROLE_NAMES[level],
        });
      }
    }
  }
  return entitlements.sort(
    (a, b) =>
      a.accountName.localeCompare(b.accountName) ||
      a.awsAccountId.localeCompare(b.awsAccountId) ||
      a.roleName.localeCompare(b.roleName),
  );
}

/** `<base>/#/sign-in?account=<awsAccountId>&role=<roleName>`: the console page that signs in to the role. */
export function awsLoginUrl(base: string, awsAccountId: string, roleName: string): string {
  return `${base}/#/sign-in?account=${awsAccountId}&role=${encodeURIComponent(roleName)}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The spec's `Account`. */
function accountResponse(
  deps: AccountReadDeps,
  account: StoredAccount,
  levels: ReadonlyMap<string, ReadonlySet<AccessLevel>>,
) {
  const urls: Partial<Record<AccessLevel, string>> = {};
  const held = account.accountType ? levels.get(account.accountType) : undefined;
  if (deps.consoleUrl && held && account.status === ('ACTIVE' satisfies AccountStatus)) {
    for (const level of held)
      urls[level] = awsLoginUrl(deps.consoleUrl, account.awsAccountId, BUILTIN_ROLE_NAMES[level]);
  }
  const email = account.email;
  return {
    Id: account.id,
    OrganisationId: deps.organisationId,
    Name: account.name,
    AwsAccountId: account.awsAccountId,
    ...(email && email.length >= 6 && email.length <= 128 && EMAIL.test(email) && { Email: email }),
    Status: account.status,
    AccountRole: account.accountRole,
    AccountType: account.accountType ?? null,
    Origin: 'EXTERNAL' as const,
    StaxCreated: false,
    ...(account.createdTs && { CreatedTS: account.createdTs }),
    ...(account.modifiedTs && { ModifiedTS: account.modifiedTs }),
    AWSLoginURLs: urls,
  };
}
