import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessLevel } from '@/lambdas/shared/constants';
import type { Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey, listing, uniqueKey } from '@/lambdas/shared/keys';
import {
  getMany,
  type Item,
  listByKind,
  numberAttr,
  recordListAttr,
  stringAttr,
  stringListAttr,
} from '@/lambdas/shared/store';

/**
 * Account types and accounts in the table (lambdas/shared/keys.ts).
 *
 * An account type item carries everything a sign-in needs, so that entitlements are one
 * Query of all account types plus one Query of the caller's memberships:
 *
 * - `Roles`: `[{GroupId, RoleName}]`, RoleName `admin` | `developer` | `readonly` (the
 *   built-in roles of BUILTIN_ROLE_NAMES);
 * - `Accounts`: the Stax ids of its accounts;
 * - `AwsAccounts`: the same accounts as `[{AccountId, AwsAccountId, Name, Status}]`. Only an
 *   `ACTIVE` account may be signed in to.
 *
 * They are written in the same transaction as the items they name (the group, the account),
 * under `Version` conditions. An account item names its type in `AccountType`.
 */

export const ACCOUNT_TYPE_NAME_LIMITS = { min: 3, max: 64 } as const;

export const ACCESS_LEVELS: readonly AccessLevel[] = ['admin', 'developer', 'readonly'];

export interface RoleGrant {
  readonly GroupId: string;
  readonly RoleName: AccessLevel;
}

/** An account as an account type lists it (`AwsAccounts`), so readers need not fetch the account. */
export interface AccountRef {
  readonly AccountId: string;
  readonly AwsAccountId: string;
  readonly Name: string;
  readonly Status: AccountStatus;
  /** Absent in summaries written before it was kept: read the account item to know it. */
  readonly AccountRole?: AccountRole;
}

export interface StoredAccountType {
  readonly id: string;
  readonly name: string;
  readonly createdBy?: string;
  readonly createdTs?: string;
  readonly modifiedTs?: string;
  readonly version?: number;
  readonly roles: readonly RoleGrant[];
  readonly accounts: readonly AccountRef[];
}

/** The spec's Account `Status` values staxid uses. */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED' | 'CLOSED' | 'INITIALIZING' | 'OFFBOARDED';

export type AccountRole = 'MEMBER' | 'MANAGEMENT' | 'SECURITY' | 'LOGGING';

/**
 * Whether an account is one staxid runs in or reports to (management, security: the deployer
 * role and the SAML signing key, logging): never an account type member, sign-in target or
 * deployment target, as a role there would reach every account (security review M3).
 */
export function isProtectedAccount(role: string | undefined): boolean {
  return role !== undefined && PROTECTED_ACCOUNT_ROLES.has(role);
}

const PROTECTED_ACCOUNT_ROLES: ReadonlySet<string> = new Set<AccountRole>([
  'MANAGEMENT',
  'SECURITY',
  'LOGGING',
]);

export interface StoredAccount {
  readonly id: string;
  readonly awsAccountId: string;
  /** The Stax name: the AWS name with characters the spec does not allow replaced. */
  readonly name: string;
  /** The account's name in AWS Organizations, as it is. */
  readonly awsName: string;
  readonly email?: string;
  readonly status: AccountStatus;
  readonly accountRole: AccountRole;
  readonly accountType?: string;
  readonly createdTs?: string;
  readonly modifiedTs?: string;
  readonly joinedTs?: string;
  readonly version?: number;
}

// ---- account types -----------------------------------------------------------------------------

export function isAccessLevel(value: unknown): value is AccessLevel {
  return typeof value === 'string' && (ACCESS_LEVELS as readonly string[]).includes(value);
}

const ACCOUNT_STATUSES: readonly AccountStatus[] = [
  'ACTIVE',
  'SUSPENDED',
  'CLOSED',
  'INITIALIZING',
  'OFFBOARDED',
];

function accountStatus(value: unknown): AccountStatus {
  return typeof value === 'string' && (ACCOUNT_STATUSES as readonly string[]).includes(value)
    ? (value as AccountStatus)
    : 'ACTIVE';
}

export function accountTypeFromItem(item: Item): StoredAccountType {
  const createdBy = stringAttr(item, 'CreatedBy');
  const createdTs = stringAttr(item, 'CreatedTS');
  const modifiedTs = stringAttr(item, 'ModifiedTS');
  const version = numberAttr(item, 'Version');
  const roles: RoleGrant[] = [];
  for (const role of recordListAttr(item, 'Roles')) {
    const groupId = stringAttr(role, 'GroupId');
    const roleName = role.RoleName;
    if (groupId && isAccessLevel(roleName)) roles.push({ GroupId: groupId, RoleName: roleName });
  }
  const refs = new Map<string, AccountRef>();
  for (const ref of recordListAttr(item, 'AwsAccounts')) {
    const accountId = stringAttr(ref, 'AccountId');
    if (!accountId) continue;
    const role = accountRoleOf(ref.AccountRole);
    refs.set(accountId, {
      AccountId: accountId,
      AwsAccountId: stringAttr(ref, 'AwsAccountId') ?? '',
      Name: stringAttr(ref, 'Name') ?? '',
      Status: accountStatus(ref.Status),
      ...(role && { AccountRole: role }),
    });
  }
  const accounts = stringListAttr(item, 'Accounts').map(
    (accountId): AccountRef =>
      refs.get(accountId) ?? { AccountId: accountId, AwsAccountId: '', Name: '', Status: 'ACTIVE' },
  );
  return {
    id: stringAttr(item, 'Id') ?? String(item.PK).slice(`${ENTITY.accountType}#`.length),
    name: stringAttr(item, 'Name') ?? '',
    ...(createdBy && { createdBy }),
    ...(createdTs && { createdTs }),
    ...(modifiedTs && { modifiedTs }),
    ...(version !== undefined && { version }),
    roles,
    accounts,
  };
}

export function accountTypeItem(type: StoredAccountType & { readonly version: number }): Item {
  return {
    ...entityKey(ENTITY.accountType, type.id),
    ...listing(ENTITY.accountType, type.name.toLowerCase()),
    Id: type.id,
    Name: type.name,
    Status: 'ACTIVE',
    ...(type.createdBy && { CreatedBy: type.createdBy }),
    CreatedTS: type.createdTs,
    ModifiedTS: type.modifiedTs,
    Version: type.version,
    Roles: type.roles,
    Accounts: type.accounts.map((ref) => ref.AccountId),
    AwsAccounts: type.accounts,
  };
}

export function accountTypeNameGuard(name: string, accountTypeId: string): Item {
  return { ...uniqueKey('ACCOUNTTYPENAME', name), Kind: 'ACCOUNTTYPENAME', Id: accountTypeId };
}

export async function getAccountType(db: Db, id: string): Promise<StoredAccountType | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: entityKey(ENTITY.accountType, id), ConsistentRead: true }),
  );
  return item ? accountTypeFromItem(item) : undefined;
}

/** The account types with these ids, by id (one BatchGet); ids that do not exist are absent. */
export async function getAccountTypes(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, StoredAccountType>> {
  const items = await getMany(
    db,
    ids.map((id) => entityKey(ENTITY.accountType, id)),
  );
  return new Map(items.map(accountTypeFromItem).map((type) => [type.id, type]));
}

export async function listAccountTypes(db: Db): Promise<StoredAccountType[]> {
  return (await listByKind(db, ENTITY.accountType)).map(accountTypeFromItem);
}

export async function accountTypeIdByName(db: Db, name: string): Promise<string | undefined> {
  const { Item: guard } = await db.doc.send(
    new GetCommand({
      TableName: db.tableName,
      Key: uniqueKey('ACCOUNTTYPENAME', name),
      ConsistentRead: true,
    }),
  );
  return guard ? stringAttr(guard, 'Id') : undefined;
}

/** The spec's `AccountType`. */
export function accountTypeResponse(
  type: StoredAccountType,
  organisationId: string,
  status: 'ACTIVE' | 'DELETED' = 'ACTIVE',
) {
  return {
    Id: type.id,
    OrganisationId: organisationId,
    Name: type.name,
    Status: status,
    Accounts: type.accounts.map((ref) => ref.AccountId),
    Policies: [],
    Roles: type.roles.map((role) => ({ GroupId: role.GroupId, RoleName: role.RoleName })),
    ...(type.createdBy && { CreatedBy: type.createdBy }),
    ...(type.createdTs && { CreatedTS: type.createdTs }),
    ...(type.modifiedTs && { ModifiedTS: type.modifiedTs }),
    StaxCreated: false,
  };
}

// ---- accounts ------------------------------------------------------------------------------------

const ACCOUNT_ROLES: readonly AccountRole[] = ['MEMBER', 'MANAGEMENT', 'SECURITY', 'LOGGING'];

function accountRoleOf(value: unknown): AccountRole | undefined {
  return typeof value === 'string' && (ACCOUNT_ROLES as readonly string[]).includes(value)
    ? (value as AccountRole)
    : undefined;
}

export function accountFromItem(item: Item): StoredAccount {
  const email = stringAttr(item, 'Email');
  const accountType = stringAttr(item, 'AccountType');
  const createdTs = stringAttr(item, 'CreatedTS');
  const modifiedTs = stringAttr(item, 'ModifiedTS');
  const joinedTs = stringAttr(item, 'JoinedTS');
  const version = numberAttr(item, 'Version');
  return {
    id: stringAttr(item, 'Id') ?? String(item.PK).slice(`${ENTITY.account}#`.length),
    awsAccountId: stringAttr(item, 'AwsAccountId') ?? '',
    name: stringAttr(item, 'Name') ?? '',
    awsName: stringAttr(item, 'AwsAccountName') ?? stringAttr(item, 'Name') ?? '',
    ...(email && { email }),
    status: accountStatus(item.Status),
    accountRole: accountRoleOf(item.AccountRole) ?? 'MEMBER',
    ...(accountType && { accountType }),
    ...(createdTs && { createdTs }),
    ...(modifiedTs && { modifiedTs }),
    ...(joinedTs && { joinedTs }),
    ...(version !== undefined && { version }),
  };
}

export function accountItem(account: StoredAccount & { readonly version: number }): Item {
  return {
    ...entityKey(ENTITY.account, account.id),
    ...listing(ENTITY.account, account.name.toLowerCase()),
    GSI2PK: `AWSACCOUNT#${account.awsAccountId}`,
    GSI2SK: ENTITY.account,
    Id: account.id,
    AwsAccountId: account.awsAccountId,
    Name: account.name,
    AwsAccountName: account.awsName,
    Email: account.email,
    Status: account.status,
    AccountRole: account.accountRole,
    AccountType: account.accountType,
    Origin: 'EXTERNAL',
    CreatedTS: account.createdTs,
    ModifiedTS: account.modifiedTs,
    JoinedTS: account.joinedTs,
    Version: account.version,
  };
}

export function awsAccountGuard(awsAccountId: string, accountId: string): Item {
  return { ...uniqueKey('AWSACCOUNT', awsAccountId), Kind: 'AWSACCOUNT', Id: accountId };
}

export function accountRef(account: StoredAccount): AccountRef {
  return {
    AccountId: account.id,
    AwsAccountId: account.awsAccountId,
    Name: account.name,
    Status: account.status,
    AccountRole: account.accountRole,
  };
}

export async function getAccount(db: Db, id: string): Promise<StoredAccount | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: entityKey(ENTITY.account, id), ConsistentRead: true }),
  );
  return item ? accountFromItem(item) : undefined;
}

export async function listAccounts(db: Db): Promise<StoredAccount[]> {
  return (await listByKind(db, ENTITY.account)).map(accountFromItem);
}
