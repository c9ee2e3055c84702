import {
  ACCOUNT_TYPE_NAME_LIMITS,
  type AccountRef,
  accountFromItem,
  accountRef,
  accountTypeItem,
  accountTypeNameGuard,
  accountTypeResponse,
  getAccountType,
  getAccountTypes,
  isProtectedAccount,
  listAccountTypes,
  type StoredAccount,
  type StoredAccountType,
} from '@/lambdas/accounts/account-items';
import { NameCache, resolveAccountTypeId } from '@/lambdas/accounts/account-type-access';
import type { RequestContext } from '@/lambdas/groups/groups';
import { assertNoPermissionSetRoles } from '@/lambdas/permission-sets/account-type-roles';
import {
  assertFitsTransaction,
  type ChangePlan,
  runChange,
  type TxStep,
  taskDetail,
} from '@/lambdas/shared/change';
import type { ReadDeps, ServiceDeps } from '@/lambdas/shared/deps';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { checkName } from '@/lambdas/shared/input';
import { ENTITY, entityKey, uniqueKey } from '@/lambdas/shared/keys';
import { getMany, onlyIfVersion, versionedUpdate } from '@/lambdas/shared/store';

/**
 * Account types (accounts.*AccountType*): unique names (case-insensitive guard items),
 * deleted only when they hold no accounts and carry no permission-set roles, and the moves
 * of accounts between them (UpdateAccountTypeMembers), all or nothing.
 */

// ---- reads -----------------------------------------------------------------------------------

export async function readAccountTypes(deps: ReadDeps, idFilter?: readonly string[]) {
  let types: StoredAccountType[];
  if (idFilter) {
    types = [...(await getAccountTypes(deps.db, idFilter)).values()].sort((a, b) =>
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
    );
  } else {
    types = await listAccountTypes(deps.db);
  }
  return { AccountTypes: types.map((type) => accountTypeResponse(type, deps.organisationId)) };
}

export async function readAccountType(deps: ReadDeps, accountTypeId: string, idFilter?: readonly string[]) {
  const type = await getAccountType(deps.db, accountTypeId);
  if (!type) throw new NotFoundError('Account type', accountTypeId);
  const shown = idFilter === undefined || idFilter.includes(type.id);
  return { AccountTypes: shown ? [accountTypeResponse(type, deps.organisationId)] : [] };
}

// ---- create, rename, delete --------------------------------------------------------------------

export async function createAccountType(deps: ServiceDeps, context: RequestContext, body: { Name: string }) {
  const name = checkName(body.Name, 'Body.Name', ACCOUNT_TYPE_NAME_LIMITS);
  const now = deps.clock.now().toISOString();
  const type: StoredAccountType & { version: number } = {
    id: newId(),
    name,
    ...(isUuid(context.caller.id) && { createdBy: context.caller.id }),
    createdTs: now,
    modifiedTs: now,
    version: 1,
    roles: [],
    accounts: [],
  };
  await runChange(
    deps,
    { ...context, operationId: 'accounts.CreateAccountType', taskOperation: 'accounts:CreateAccountType' },
    async (): Promise<ChangePlan<undefined>> => {
      await assertNameFree(deps, name);
      return {
        steps: [
          {
            item: {
              Put: {
                TableName: deps.db.tableName,
                Item: accountTypeItem(type),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          },
          nameGuardPut(deps, name, type.id),
        ],
        result: undefined,
        logs: [`Created account type ${JSON.stringify(name)} (${type.id})`],
        targets: [{ type: 'account-type', id: type.id, name }],
        detail: { name },
      };
    },
  );
  return {
    DetailType: 'accounts.CreateAccountType',
    Detail: {
      AccountType: accountTypeResponse(type, deps.organisationId),
      Message: `Account type ${JSON.stringify(name)} created`,
      Operation: 'accounts:CreateAccountType',
      OperationStatus: 'SUCCEEDED',
      Severity: 'INFO',
    },
  };
}

export async function updateAccountType(
  deps: ServiceDeps,
  context: RequestContext,
  accountTypeId: string,
  body: { Name: string },
) {
  const name = checkName(body.Name, 'Body.Name', ACCOUNT_TYPE_NAME_LIMITS);
  const { result } = await runChange(
    deps,
    { ...context, operationId: 'accounts.UpdateAccountType', taskOperation: 'accounts:UpdateAccountType' },
    async (): Promise<ChangePlan<StoredAccountType>> => {
      const type = await getAccountType(deps.db, accountTypeId);
      if (!type) throw new NotFoundError('Account type', accountTypeId);
      const renamed = type.name.toLowerCase() !== name.toLowerCase();
      if (renamed) await assertNameFree(deps, name);
      const now = deps.clock.now().toISOString();
      const steps: TxStep[] = [
        {
          item: versionedUpdate(
            deps.db.tableName,
            entityKey(ENTITY.accountType, type.id),
            type.version,
            { Name: name, GSI1SK: name.toLowerCase() },
            now,
          ),
        },
      ];
      if (renamed) {
        steps.push(nameGuardPut(deps, name, type.id), {
          item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('ACCOUNTTYPENAME', type.name) } },
        });
      }
      return {
        steps,
        result: { ...type, name, modifiedTs: now, version: (type.version ?? 0) + 1 },
        logs: [
          `Renamed account type ${type.id} from ${JSON.stringify(type.name)} to ${JSON.stringify(name)}`,
        ],
        targets: [{ type: 'account-type', id: type.id, name }],
        detail: { from: type.name, to: name },
      };
    },
  );
  return { AccountTypes: accountTypeResponse(result, deps.organisationId) };
}

export async function deleteAccountType(deps: ServiceDeps, context: RequestContext, accountTypeId: string) {
  const { result } = await runChange(
    deps,
    { ...context, operationId: 'accounts.DeleteAccountType', taskOperation: 'accounts:DeleteAccountType' },
    async (): Promise<ChangePlan<StoredAccountType>> => {
      const type = await getAccountType(deps.db, accountTypeId);
      if (!type) throw new NotFoundError('Account type', accountTypeId);
      if (type.accounts.length > 0) {
        throw new InvalidStateError(
          `Account type ${JSON.stringify(type.name)} still has ${type.accounts.length} account(s): move them to another account type with UpdateAccountTypeMembers (PUT /20190206/account-types/members) before deleting it`,
        );
      }
      await assertNoPermissionSetRoles(deps.db, type);
      return {
        steps: [
          {
            item: {
              Delete: {
                TableName: deps.db.tableName,
                Key: entityKey(ENTITY.accountType, type.id),
                ...onlyIfVersion(type.version),
              },
            },
          },
          {
            item: { Delete: { TableName: deps.db.tableName, Key: uniqueKey('ACCOUNTTYPENAME', type.name) } },
          },
        ],
        result: type,
        logs: [`Deleted account type ${JSON.stringify(type.name)} (${type.id})`],
        targets: [{ type: 'account-type', id: type.id, name: type.name }],
      };
    },
  );
  return { AccountTypes: accountTypeResponse(result, deps.organisationId, 'DELETED') };
}

// ---- members ---------------------------------------------------------------------------------

export interface AccountTypeMemberMap {
  readonly AccountId: string;
  readonly AccountTypeId?: string;
  readonly AccountTypeName?: string;
}

export async function updateAccountTypeMembers(
  deps: ServiceDeps,
  context: RequestContext,
  body: { readonly Members: readonly AccountTypeMemberMap[] },
) {
  if (body.Members.length === 0) {
    throw new ValidationError(
      'Body.Members',
      'must list at least one {AccountId, AccountTypeId or AccountTypeName}',
    );
  }
  // Each move writes the account and up to two account types: refuse the absurd before reading.
  assertFitsTransaction(body.Members.length + 2, 'Body.Members', `${body.Members.length} account moves`);

  const { result: moved, taskId } = await runChange(
    deps,
    {
      ...context,
      operationId: 'accounts.UpdateAccountTypeMembers',
      taskOperation: 'accounts:UpdateAccountTypeMembers',
    },
    async (): Promise<ChangePlan<string[]>> => {
      const targets = new Map<string, string>();
      const names = new NameCache(deps.db);
      for (const [index, entry] of body.Members.entries()) {
        const at = `Body.Members[${index}]`;
        const accountId = entry.AccountId.toLowerCase();
        const typeId = await resolveAccountTypeId(deps.db, entry, at, names);
        const previous = targets.get(accountId);
        if (previous !== undefined && previous !== typeId) {
          throw new ValidationError(
            `${at}.AccountId`,
            `account ${accountId} is moved to two account types (${previous} and ${typeId}): list it once`,
          );
        }
        targets.set(accountId, typeId);
      }
      const accounts = new Map(
        (
          await getMany(
            deps.db,
            [...targets.keys()].map((id) => entityKey(ENTITY.account, id)),
          )
        )
          .map(accountFromItem)
          .map((account) => [account.id, account]),
      );
      for (const id of targets.keys()) if (!accounts.has(id)) throw new NotFoundError('Account', id);
      assertNoProtectedAccount(body.Members, accounts);

      const moves: { account: StoredAccount; to: string }[] = [];
      for (const [accountId, to] of targets) {
        const account = accounts.get(accountId);
        if (account && account.accountType !== to) moves.push({ account, to });
      }
      const typeIds = [
        ...new Set([
          ...targets.values(),
          ...moves.map(({ account }) => account.accountType).filter((id): id is string => id !== undefined),
        ]),
      ];
      assertFitsTransaction(
        moves.length + typeIds.length + 1,
        'Body.Members',
        `${moves.length} accounts and ${typeIds.length} account types`,
      );
      const types = await getAccountTypes(deps.db, typeIds);
      for (const id of new Set(targets.values()))
        if (!types.has(id)) throw new NotFoundError('Account type', id);

      const now = deps.clock.now().toISOString();
      const members = new Map<string, AccountRef[]>(
        [...types.values()].map((type) => [type.id, [...type.accounts]]),
      );
      const steps: TxStep[] = [];
      const logs: string[] = [];
      for (const { account, to } of moves) {
        if (account.accountType) {
          const from = members.get(account.accountType);
          if (from)
            members.set(
              account.accountType,
              from.filter((ref) => ref.AccountId !== account.id),
            );
        }
        const into = members.get(to) ?? [];
        members.set(to, [...into.filter((ref) => ref.AccountId !== account.id), accountRef(account)]);
        steps.push({
          item: versionedUpdate(
            deps.db.tableName,
            entityKey(ENTITY.account, account.id),
            account.version,
            { AccountType: to },
            now,
          ),
        });
        logs.push(
          `Moved account ${JSON.stringify(account.name)} (${account.awsAccountId}) to account type ${JSON.stringify(types.get(to)?.name ?? to)}`,
        );
      }
      for (const type of types.values()) {
        const accountsOfType = members.get(type.id) ?? [];
        const changed = moves.some(({ account, to }) => to === type.id || account.accountType === type.id);
        if (!changed) continue;
        steps.push({
          item: versionedUpdate(
            deps.db.tableName,
            entityKey(ENTITY.accountType, type.id),
            type.version,
            { Accounts: accountsOfType.map((ref) => ref.AccountId), AwsAccounts: accountsOfType },
            now,
          ),
        });
      }
      if (moves.length === 0) logs.push('Every account was already of the account type given: nothing moved');
      const movedIds = moves.map(({ account }) => account.id);
      return {
        steps,
        result: movedIds,
        logs,
        accounts: [...targets.keys()],
        targets: [
          ...moves.map(({ account }) => ({ type: 'account', id: account.id, name: account.name })),
          ...typeIds.map((id) => ({ type: 'account-type', id })),
        ],
        detail: {
          moves: moves.map(({ account, to }) => ({
            accountId: account.id,
            from: account.accountType ?? null,
            to,
          })),
        },
      };
    },
  );
  return {
    DetailType: 'accounts.UpdateAccountTypeMembers',
    Detail: taskDetail(
      'accounts:UpdateAccountTypeMembers',
      taskId,
      `${moved.length} account(s) moved between account types`,
    ),
  };
}

// ---- helpers ---------------------------------------------------------------------------------

async function assertNameFree(deps: ServiceDeps, name: string): Promise<void> {
  const taken = await getMany(deps.db, [uniqueKey('ACCOUNTTYPENAME', name)]);
  if (taken.length > 0) throw nameTaken(name);
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(
    `An account type named ${JSON.stringify(name)} already exists: choose another name`,
  );
}

function nameGuardPut(deps: ServiceDeps, name: string, accountTypeId: string): TxStep {
  return {
    item: {
      Put: {
        TableName: deps.db.tableName,
        Item: accountTypeNameGuard(name, accountTypeId),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    onConditionFailed: () => nameTaken(name),
  };
}

/**
 * Refuses to put the management, security or logging account in an account type: a role
 * there (the member StackSet's, a permission set's) would reach every account (review M3).
 */
function assertNoProtectedAccount(
  members: readonly AccountTypeMemberMap[],
  accounts: ReadonlyMap<string, StoredAccount>,
): void {
  for (const [index, entry] of members.entries()) {
    const account = accounts.get(entry.AccountId.toLowerCase());
    if (account && isProtectedAccount(account.accountRole)) {
      throw new ValidationError(
        `Body.Members[${index}].AccountId`,
        `account ${JSON.stringify(account.name)} (${account.awsAccountId}) is the organization's ${account.accountRole} account, which staxid depends on: it cannot be in an account type, so nobody is given a role in it; remove it from the request`,
      );
    }
  }
}
