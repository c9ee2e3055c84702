import {
  type AccountRole,
  type AccountStatus,
  accountFromItem,
  accountItem,
  accountRef,
  awsAccountGuard,
  getAccountTypes,
  listAccounts,
  type StoredAccount,
  type StoredAccountType,
} from '@/lambdas/accounts/account-items';
import type { RequestContext } from '@/lambdas/groups/groups';
import {
  auditFailure,
  auditIntent,
  backoff,
  type ChangeRequest,
  commitSteps,
  MAX_TRANSACTION_ITEMS,
  type TxStep,
  taskStep,
} from '@/lambdas/shared/change';
import type { ServiceDeps } from '@/lambdas/shared/deps';
import { ConflictError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import type {
  Organization,
  OrganizationAccount,
  OrganizationAccountState,
} from '@/lambdas/shared/organization';
import { getMany, versionedUpdate } from '@/lambdas/shared/store';

/**
 * DiscoverAccounts: brings the accounts of the AWS Organization into staxid. New accounts
 * are created (with no account type), changed names, emails and states are updated, and
 * accounts no longer in the organization are marked OFFBOARDED (kept, with their type, so
 * that their history and ids stay). Running it again changes nothing: it is idempotent.
 *
 * An organization can hold more accounts than one transaction: the changes are written in
 * transactions of at most 100 items, each account's change together with the update of its
 * account type's `AwsAccounts`, the task with the last. A lost race re-reads and re-plans;
 * whatever was already written then plans as "no change".
 */

export interface AccountRoleIds {
  readonly management?: string;
  readonly security?: string;
  readonly logging?: string;
}

export interface DiscoveryDeps extends ServiceDeps {
  readonly organization: Organization;
  readonly accountRoles: AccountRoleIds;
}

interface AccountChange {
  readonly kind: 'create' | 'update' | 'offboard';
  readonly account: StoredAccount & { readonly version: number };
  readonly previous?: StoredAccount;
}

const MAX_ATTEMPTS = 5;

const STATE_TO_STATUS: Readonly<Record<OrganizationAccountState, AccountStatus>> = {
  PENDING_ACTIVATION: 'INITIALIZING',
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  PENDING_CLOSURE: 'CLOSED',
  CLOSED: 'CLOSED',
};

/**
 * The Stax name of an AWS account: the spec allows 2 to 64 of `a-zA-Z0-9+-=._:/@ ` where AWS
 * allows any printable ASCII; other characters become `-`, and a name left shorter than 2
 * characters becomes the account id.
 */
export function staxAccountName(awsName: string, awsAccountId: string): string {
  const name = awsName
    .replace(/[^a-zA-Z0-9+\-=._:/@ ]/g, '-')
    .slice(0, 64)
    .trim();
  return name.length >= 2 ? name : awsAccountId;
}

export function accountRoleFor(awsAccountId: string, roles: AccountRoleIds): AccountRole {
  if (awsAccountId === roles.management) return 'MANAGEMENT';
  if (awsAccountId === roles.security) return 'SECURITY';
  if (awsAccountId === roles.logging) return 'LOGGING';
  return 'MEMBER';
}

export async function discoverAccounts(deps: DiscoveryDeps, context: RequestContext) {
  const request: ChangeRequest = {
    ...context,
    operationId: 'accounts.DiscoverAccounts',
    taskOperation: 'accounts:DiscoverAccounts',
  };
  const taskId = newId();
  const organizationAccounts = await deps.organization.listAccounts();
  let changes = await planDiscovery(deps, organizationAccounts);
  const summary = (list: readonly AccountChange[], kind: AccountChange['kind']) =>
    list.filter((change) => change.kind === kind).map((change) => change.account.awsAccountId);
  const intentEventId = await auditIntent(deps, request, taskId, {
    targets: changes.map((change) => ({ type: 'account', id: change.account.id, name: change.account.name })),
    detail: {
      organizationAccounts: organizationAccounts.length,
      created: summary(changes, 'create'),
      updated: summary(changes, 'update'),
      offboarded: summary(changes, 'offboard'),
    },
  });

  // The changes written so far, by account: a re-plan after a lost race finds them done.
  const allChanges = new Map<string, AccountChange>();
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await commitDiscovery(deps, request, taskId, changes, allChanges);
      if (outcome === 'committed') break;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConflictError(
          'Another account discovery (or account type change) is running at the same time: try again in a minute',
        );
      }
      await backoff(attempt);
      changes = await planDiscovery(deps, organizationAccounts);
    }
  } catch (error) {
    await auditFailure(deps, request, intentEventId, taskId, error);
    throw error;
  }
  const created = [...allChanges.values()].filter((change) => change.kind === 'create').length;
  return {
    TaskId: taskId,
    CustomerId: deps.organisationId,
    TraceId: context.requestId,
    DetailType: 'accounts.DiscoverAccounts',
    Detail: {
      Message: `Discovered ${organizationAccounts.length} accounts: ${created} new, ${allChanges.size - created} changed`,
      Operation: 'accounts:DiscoverAccounts' as const,
      OperationStatus: 'SUCCEEDED' as const,
      Severity: 'INFO',
      TraceId: context.requestId,
    },
  };
}

/** What must change for staxid's accounts to match the organization's. */
async function planDiscovery(
  deps: DiscoveryDeps,
  organizationAccounts: readonly OrganizationAccount[],
): Promise<AccountChange[]> {
  const listed = await listAccounts(deps.db);
  // The listing comes from an index: read the items themselves for their current Version.
  const existing = (
    await getMany(
      deps.db,
      listed.map((account) => entityKey(ENTITY.account, account.id)),
    )
  ).map(accountFromItem);
  const byAwsId = new Map(existing.map((account) => [account.awsAccountId, account]));
  const now = deps.clock.now().toISOString();
  const changes: AccountChange[] = [];
  const seen = new Set<string>();
  for (const found of organizationAccounts) {
    if (seen.has(found.id)) continue;
    seen.add(found.id);
    const desired = {
      awsAccountId: found.id,
      name: staxAccountName(found.name, found.id),
      awsName: found.name,
      ...(found.email && { email: found.email }),
      status: STATE_TO_STATUS[found.state],
      accountRole: accountRoleFor(found.id, deps.accountRoles),
      ...(found.joinedAt && { joinedTs: found.joinedAt }),
    };
    const previous = byAwsId.get(found.id);
    if (!previous) {
      changes.push({
        kind: 'create',
        account: { id: newId(), ...desired, createdTs: now, modifiedTs: now, version: 1 },
      });
      continue;
    }
    const same =
      previous.name === desired.name &&
      previous.awsName === desired.awsName &&
      previous.email === desired.email &&
      previous.status === desired.status &&
      previous.accountRole === desired.accountRole;
    if (!same) {
      changes.push({
        kind: 'update',
        account: { ...previous, ...desired, modifiedTs: now, version: (previous.version ?? 0) + 1 },
        previous,
      });
    }
  }
  for (const previous of existing) {
    if (seen.has(previous.awsAccountId) || previous.status === 'OFFBOARDED') continue;
    changes.push({
      kind: 'offboard',
      account: { ...previous, status: 'OFFBOARDED', modifiedTs: now, version: (previous.version ?? 0) + 1 },
      previous,
    });
  }
  return changes;
}

/** Writes the changes in transactions of at most 100 items; the task goes with the last. */
async function commitDiscovery(
  deps: DiscoveryDeps,
  request: ChangeRequest,
  taskId: string,
  changes: readonly AccountChange[],
  committed: Map<string, AccountChange>,
): Promise<'committed' | Error> {
  const typeIds = [
    ...new Set(
      changes.map((change) => change.account.accountType).filter((id): id is string => id !== undefined),
    ),
  ];
  const types = await getAccountTypes(deps.db, typeIds);
  const now = deps.clock.now().toISOString();
  const task = (): TxStep => {
    const everything = [...committed.values(), ...batch];
    return taskStep(deps, request, taskId, {
      logs:
        everything.length > 0 ? everything.map(describe) : ['Every account was up to date: nothing changed'],
      accounts: everything.map((change) => change.account.id),
    });
  };

  let batch: AccountChange[] = [];
  const batchSize = (list: readonly AccountChange[]) =>
    list.reduce((size, change) => size + (change.kind === 'create' ? 2 : 1), 0) +
    new Set(list.map((change) => change.account.accountType).filter((id) => id !== undefined)).size;
  const flush = async (last: boolean): Promise<'committed' | Error> => {
    const steps = [
      ...batch.flatMap((change) => accountSteps(deps, change)),
      ...typeSteps(deps, batch, types, now),
    ];
    if (last) steps.push(task());
    if (steps.length === 0) return 'committed';
    const outcome = await commitSteps(deps, steps, {
      targets: batch.map((change) => ({ type: 'account', id: change.account.id })),
    });
    if (outcome !== 'committed') return outcome;
    // The account types' Versions moved on: later batches build on the new state.
    for (const [id, type] of types) {
      const updated = applyToType(type, batch);
      if (updated !== type) types.set(id, { ...updated, version: (type.version ?? 0) + 1 });
    }
    for (const change of batch) committed.set(change.account.id, change);
    batch = [];
    return 'committed';
  };
  for (const change of changes) {
    // Keep one slot for the task in every batch.
    if (batch.length > 0 && batchSize([...batch, change]) > MAX_TRANSACTION_ITEMS - 1) {
      const outcome = await flush(false);
      if (outcome !== 'committed') return outcome;
    }
    batch.push(change);
  }
  return flush(true);
}

function accountSteps(deps: DiscoveryDeps, change: AccountChange): TxStep[] {
  const { account } = change;
  if (change.kind === 'create') {
    return [
      {
        item: {
          Put: {
            TableName: deps.db.tableName,
            Item: accountItem(account),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      },
      {
        item: {
          Put: {
            TableName: deps.db.tableName,
            Item: awsAccountGuard(account.awsAccountId, account.id),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      },
    ];
  }
  return [
    {
      item: versionedUpdate(
        deps.db.tableName,
        entityKey(ENTITY.account, account.id),
        change.previous?.version,
        {
          Name: account.name,
          GSI1SK: account.name.toLowerCase(),
          AwsAccountName: account.awsName,
          Email: account.email,
          Status: account.status,
          AccountRole: account.accountRole,
          ...(account.joinedTs && { JoinedTS: account.joinedTs }),
        },
        account.modifiedTs ?? '',
      ),
    },
  ];
}

/** An account type with the new names and states of the batch's accounts in `AwsAccounts`. */
function applyToType(type: StoredAccountType, batch: readonly AccountChange[]): StoredAccountType {
  const changed = new Map(
    batch
      .filter((change) => change.account.accountType === type.id)
      .map((change) => [change.account.id, change]),
  );
  if (changed.size === 0) return type;
  return {
    ...type,
    accounts: type.accounts.map((ref) => {
      const change = changed.get(ref.AccountId);
      return change ? accountRef(change.account) : ref;
    }),
  };
}

function typeSteps(
  deps: DiscoveryDeps,
  batch: readonly AccountChange[],
  types: ReadonlyMap<string, StoredAccountType>,
  now: string,
): TxStep[] {
  const steps: TxStep[] = [];
  for (const type of types.values()) {
    const updated = applyToType(type, batch);
    if (updated === type) continue;
    steps.push({
      item: versionedUpdate(
        deps.db.tableName,
        entityKey(ENTITY.accountType, type.id),
        type.version,
        { Accounts: updated.accounts.map((ref) => ref.AccountId), AwsAccounts: updated.accounts },
        now,
      ),
    });
  }
  return steps;
}

function describe(change: AccountChange): string {
  const { account } = change;
  const label = `${JSON.stringify(account.name)} (${account.awsAccountId})`;
  switch (change.kind) {
    case 'create':
      return `Discovered account ${label}, ${account.status}, ${account.accountRole}`;
    case 'update':
      return `Updated account ${label}: ${account.status}, ${account.accountRole}`;
    case 'offboard':
      return `Account ${label} is no longer in the organization: OFFBOARDED`;
  }
}
