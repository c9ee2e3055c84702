import {
  ACCESS_LEVELS,
  type AccountRef,
  accountFromItem,
  accountRef,
  accountTypeFromItem,
  isProtectedAccount,
  type StoredAccountType,
} from '@/lambdas/accounts/account-items';
import { type AssignmentSummary, summariesFromAccountType } from '@/lambdas/permission-sets/items';
import { BUILTIN_ROLE_NAMES, PERMISSION_SET_ROLE_PATH, roleArn } from '@/lambdas/shared/constants';
import type { Db } from '@/lambdas/shared/db';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { getMany, type Item, listByKind, queryAll } from '@/lambdas/shared/store';
import {
  GRANT_OF_USER_PREFIX,
  grantFromItem,
  isInWindow,
  type StoredGrant,
} from '@/lambdas/support/grant-items';

/**
 * What a user may sign in to: every (AWS account, IAM role) they hold, for
 * `GET /20190206/users/me/aws-roles` and for the sign-in route, which refuses anything else.
 *
 * Read in at most two round trips, whatever the size of the organization
 * (docs/decisions/0012-support-access.md):
 * 1. in parallel: the user's GSI2 rows (`USER#<id>`: their group memberships AND their support
 *    grants) and every account type (which carries its access, a summary of its accounts and
 *    one of its permission-set assignments, `PermissionSetRoles`);
 * 2. only when an active support grant names an account that no account type lists, or a
 *    summary predates the account's AccountRole in it: those account items, in parallel BatchGets.
 *
 * The management, security and logging accounts are never offered, whatever type lists them
 * (security review M3); a support grant with less than AWS's shortest session left is not
 * offered either, so no session outlives its grant (M4).
 */

export interface Entitlement {
  /** Stax account id. */
  readonly accountId: string;
  /** 12 digits. */
  readonly awsAccountId: string;
  readonly accountName: string;
  /** IAM role name. */
  readonly roleName: string;
  /** IAM path of the role, for permission sets PERMISSION_SET_ROLE_PATH. @default '/' */
  readonly rolePath?: string;
  readonly source: 'builtin' | 'permission-set' | 'support';
  /**
   * For support grants: the session may not outlast the grant's window. For permission sets:
   * the permission set's MaxSessionDuration.
   */
  readonly sessionDurationSeconds?: number;
  /** For permission sets: the permission set and the assignment that grant the role. */
  readonly permissionSetId?: string;
  readonly assignmentId?: string;
  readonly supportGrantId?: string;
  readonly caseReference?: string;
}

/** The longest session a support grant opens (and AWS's shortest), in seconds. */
export const SUPPORT_SESSION_SECONDS = { max: 3600, min: 900 } as const;

/** Every role `userId` holds at `now`, sorted by account name, AWS account id and role name. */
export async function entitlementsOf(db: Db, userId: string, now: Date): Promise<Entitlement[]> {
  const [rows, typeItems] = await Promise.all([userRows(db, userId), listByKind(db, 'ACCOUNTTYPE')]);
  const types = typeItems.map(accountTypeFromItem);
  const groups = new Set<string>();
  const grants: StoredGrant[] = [];
  for (const row of rows) {
    const sortKey = String(row.GSI2SK);
    if (sortKey.startsWith(`${ENTITY.group}#`)) groups.add(sortKey.slice(`${ENTITY.group}#`.length));
    else if (sortKey.startsWith(GRANT_OF_USER_PREFIX)) {
      const grant = grantFromItem(row);
      if (isInWindow(grant, now)) grants.push(grant);
    }
  }
  // A grant holds only while its engineer is still in the support group that made them one.
  const usable = grants.filter((grant) => groups.has(grant.supportGroupId));
  const held = [...builtinFrom(types, groups), ...permissionSetsFrom(typeItems, groups)];
  const accounts = await accountsToCheck(db, types, [
    ...held.map((entitlement) => entitlement.accountId),
    ...usable.flatMap((grant) => grantAccountIds(grant, types)),
  ]);
  const signable = held.filter((entitlement) => canSignInTo(accounts.get(entitlement.accountId)));
  return sortEntitlements(
    firstPerRole([...signable, ...supportFrom(longestFirst(usable), types, accounts, now)]),
  );
}

/** The ARN of an entitlement's role, with its path (`role/staxid/<name>` for permission sets). */
export function entitlementRoleArn(partition: string, entitlement: Entitlement): string {
  return roleArn(
    partition,
    entitlement.awsAccountId,
    `${(entitlement.rolePath ?? '/').slice(1)}${entitlement.roleName}`,
  );
}

/**
 * Permission-set roles through group → account type's assignment summary, on the type's
 * ACTIVE accounts. Offered as soon as the assignment exists, deployed or not: a role not yet
 * deployed fails at sign-in with AWS's own error (docs/decisions/0017-permission-sets.md).
 */
function permissionSetsFrom(typeItems: readonly Item[], groups: ReadonlySet<string>): Entitlement[] {
  return typeItems.flatMap((item) => {
    const held = summariesFromAccountType(item).filter((summary) => groups.has(summary.GroupId));
    if (held.length === 0) return [];
    const accounts = accountTypeFromItem(item).accounts.filter(canSignInTo);
    return accounts.flatMap((account) => held.map((summary) => permissionSetEntitlement(account, summary)));
  });
}

function permissionSetEntitlement(account: AccountRef, summary: AssignmentSummary): Entitlement {
  return {
    ...accountPart(account),
    roleName: summary.RoleName,
    rolePath: PERMISSION_SET_ROLE_PATH,
    source: 'permission-set',
    sessionDurationSeconds: summary.MaxSessionDuration,
    permissionSetId: summary.PermissionSetId,
    assignmentId: summary.AssignmentId,
  };
}

/** The user's inverse rows on GSI2: memberships (`GROUP#`) and support grants (`SUPPORTGRANT#`), one Query. */
function userRows(db: Db, userId: string): Promise<Item[]> {
  return queryAll(db, {
    IndexName: 'GSI2',
    KeyConditionExpression: 'GSI2PK = :user',
    ExpressionAttributeValues: { ':user': `${ENTITY.user}#${userId}` },
  });
}

/** Built-in roles through group → account type → role, on ACTIVE accounts with a 12-digit id. */
function builtinFrom(types: readonly StoredAccountType[], groups: ReadonlySet<string>): Entitlement[] {
  const entitlements: Entitlement[] = [];
  for (const type of types) {
    const held = new Set(type.roles.filter((role) => groups.has(role.GroupId)).map((role) => role.RoleName));
    if (held.size === 0) continue;
    for (const account of type.accounts.filter(canSignInTo)) {
      for (const level of ACCESS_LEVELS.filter((candidate) => held.has(candidate))) {
        entitlements.push({
          ...accountPart(account),
          roleName: BUILTIN_ROLE_NAMES[level],
          source: 'builtin',
        });
      }
    }
  }
  return entitlements;
}

/**
 * ACTIVE, with a 12-digit id, and not one of the accounts staxid itself depends on
 * (management, security, logging: security review M3), whatever account type lists it.
 */
function canSignInTo(account: AccountRef | undefined): account is AccountRef {
  return (
    account !== undefined &&
    account.Status === 'ACTIVE' &&
    /^\d{12}$/.test(account.AwsAccountId) &&
    !isProtectedAccount(account.AccountRole)
  );
}

function accountPart(account: AccountRef) {
  return { accountId: account.AccountId, awsAccountId: account.AwsAccountId, accountName: account.Name };
}

/**
 * The accounts `ids` name, by Stax id: from the account types' summaries, and from their own
 * items (round trip 2, parallel BatchGets) for accounts no type lists (named by a support
 * grant) or listed in a summary written before summaries kept the account's AccountRole.
 */
async function accountsToCheck(
  db: Db,
  types: readonly StoredAccountType[],
  ids: readonly string[],
): Promise<Map<string, AccountRef>> {
  const known = new Map(types.flatMap((type) => type.accounts.map((ref) => [ref.AccountId, ref] as const)));
  const unread = [...new Set(ids)].filter((id) => known.get(id)?.AccountRole === undefined);
  const chunks: string[][] = [];
  for (let start = 0; start < unread.length; start += 100) chunks.push(unread.slice(start, start + 100));
  const pages = await Promise.all(
    chunks.map((chunk) =>
      getMany(
        db,
        chunk.map((id) => entityKey(ENTITY.account, id)),
      ),
    ),
  );
  for (const item of pages.flat()) {
    const ref = accountRef(accountFromItem(item));
    known.set(ref.AccountId, ref);
  }
  return known;
}

/** The Stax ids of the accounts in a grant's scope: those it names and those of the types it names. */
function grantAccountIds(grant: StoredGrant, types: readonly StoredAccountType[]): string[] {
  const scopeTypes = new Set(grant.scope.accountTypeIds);
  return [
    ...grant.scope.accountIds,
    ...types
      .filter((type) => scopeTypes.has(type.id))
      .flatMap((type) => type.accounts.map((ref) => ref.AccountId)),
  ];
}

/** One entitlement per (grant, account in its scope) the user may sign in to. */
function supportFrom(
  grants: readonly StoredGrant[],
  types: readonly StoredAccountType[],
  accounts: ReadonlyMap<string, AccountRef>,
  now: Date,
): Entitlement[] {
  return grants.flatMap((grant) => {
    const sessionDurationSeconds = supportSessionSeconds(grant, now);
    if (sessionDurationSeconds === undefined) return [];
    const inScope = [...new Set(grantAccountIds(grant, types))]
      .map((id) => accounts.get(id))
      .filter(canSignInTo);
    return inScope.map(
      (account): Entitlement => ({
        ...accountPart(account),
        roleName: grant.roleName,
        source: 'support',
        sessionDurationSeconds,
        supportGrantId: grant.id,
        caseReference: grant.caseReference,
      }),
    );
  });
}

/**
 * The session a grant opens now: at most an hour and never past the grant's end. AWS's
 * shortest session is 15 minutes, so a grant with less left than that opens none (undefined):
 * no support session outlives its grant's window (security review M4).
 */
function supportSessionSeconds(grant: StoredGrant, now: Date): number | undefined {
  const remaining = Math.floor((Date.parse(grant.expiresAt ?? '') - now.getTime()) / 1000);
  if (!(remaining >= SUPPORT_SESSION_SECONDS.min)) return undefined;
  return Math.min(SUPPORT_SESSION_SECONDS.max, remaining);
}

/** Grants by end of window, latest first (then by id): the grant that lasts longest is used first. */
function longestFirst(grants: readonly StoredGrant[]): StoredGrant[] {
  return [...grants].sort((a, b) => compare(b.expiresAt ?? '', a.expiresAt ?? '') || compare(a.id, b.id));
}

/**
 * One entitlement per (account, role), the first one listed: built-in roles come first, as
 * a role the user holds anyway needs no support grant; a permission set assigned to two of
 * the user's groups on one account type is one role.
 */
function firstPerRole(entitlements: readonly Entitlement[]): Entitlement[] {
  const byRole = new Map<string, Entitlement>();
  for (const entitlement of entitlements) {
    const key = `${entitlement.accountId}|${entitlement.roleName}`;
    if (!byRole.has(key)) byRole.set(key, entitlement);
  }
  return [...byRole.values()];
}

function sortEntitlements(entitlements: Entitlement[]): Entitlement[] {
  return entitlements.sort(
    (a, b) =>
      compare(a.accountName, b.accountName) ||
      compare(a.awsAccountId, b.awsAccountId) ||
      compare(a.roleName, b.roleName) ||
      compare(a.accountId, b.accountId),
  );
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
