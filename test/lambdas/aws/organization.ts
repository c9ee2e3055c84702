/**
 * Organizations written straight into a test table with the items' own writers (group,
 * membership, account, account type, support grant), and a counter of DynamoDB round trips.
 */
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AccountRole,
  type AccountStatus,
  accountItem,
  accountTypeItem,
  type RoleGrant,
} from '@/lambdas/accounts/account-items';
import { groupItem, groupNameGuard, membershipItem } from '@/lambdas/groups/group-items';
import { type AssignmentSummary, SUMMARY_ATTRIBUTE } from '@/lambdas/permission-sets/items';
import type { Db } from '@/lambdas/shared/db';
import type { Item } from '@/lambdas/shared/store';
import { grantItem, grantTtl, type StoredGrant } from '@/lambdas/support/grant-items';
import type { TestTable } from '@/test/support/dynamodb';

export interface ModelAccount {
  readonly id: string;
  readonly awsAccountId: string;
  readonly name: string;
  readonly status: AccountStatus;
  /** Index into `types`, or none. */
  readonly typeId?: string;
  /** @default 'MEMBER' */
  readonly role?: AccountRole;
  /** Its account type's summary predates `AccountRole` in it (written without it). */
  readonly unlabelledSummary?: boolean;
}

export interface ModelType {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly RoleGrant[];
  /** Permission-set assignments on the type, as its `PermissionSetRoles` summary holds them. */
  readonly permissionSets?: readonly AssignmentSummary[];
}

export interface Model {
  readonly groups: readonly { readonly id: string; readonly name: string }[];
  readonly memberships: readonly { readonly groupId: string; readonly userId: string }[];
  readonly accounts: readonly ModelAccount[];
  readonly types: readonly ModelType[];
  readonly grants: readonly StoredGrant[];
}

const TS = '2026-01-01T00:00:00.000Z';

/** The items that represent `model`, as the domains write them. */
export function modelItems(model: Model): Item[] {
  return [
    ...model.groups.flatMap((group) => [
      groupItem({ id: group.id, name: group.name, groupType: 'LOCAL', status: 'ACTIVE', version: 1 }),
      groupNameGuard(group.name, group.id),
    ]),
    ...model.memberships.map((membership) => membershipItem(membership.groupId, membership.userId, TS)),
    ...model.accounts.map((account) =>
      accountItem({
        id: account.id,
        awsAccountId: account.awsAccountId,
        name: account.name,
        awsName: account.name,
        status: account.status,
        accountRole: account.role ?? 'MEMBER',
        ...(account.typeId && { accountType: account.typeId }),
        version: 1,
      }),
    ),
    ...model.types.map((type) => ({
      ...accountTypeItem({
        id: type.id,
        name: type.name,
        createdTs: TS,
        modifiedTs: TS,
        version: 1,
        roles: type.roles,
        accounts: model.accounts
          .filter((account) => account.typeId === type.id)
          .map((account) => ({
            AccountId: account.id,
            AwsAccountId: account.awsAccountId,
            Name: account.name,
            Status: account.status,
            ...(!account.unlabelledSummary && { AccountRole: account.role ?? 'MEMBER' }),
          })),
      }),
      ...(type.permissionSets && {
        [SUMMARY_ATTRIBUTE]: Object.fromEntries(
          type.permissionSets.map((summary) => [summary.AssignmentId, summary]),
        ),
      }),
    })),
    ...model.grants.map((grant) => grantItem(grant, grantTtl(grant))),
  ];
}

/** Writes items, 25 at a time. */
export async function writeItems(table: TestTable, items: readonly Item[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    await table.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
}

/** Deletes every item of the table. */
export async function clearTable(table: TestTable): Promise<void> {
  const { Items: items = [] } = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
  for (let start = 0; start < items.length; start += 25) {
    await table.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: items
            .slice(start, start + 25)
            .map((item) => ({ DeleteRequest: { Key: { PK: item.PK, SK: item.SK } } })),
        },
      }),
    );
  }
}

/**
 * Counts the sequential round trips made through `db`: a request that starts while none is
 * in flight opens a new round; requests started while another is in flight share its round.
 */
export function countRoundTrips(db: Db): { readonly rounds: () => number; readonly requests: () => number } {
  const send = db.doc.send.bind(db.doc) as (command: unknown) => Promise<unknown>;
  let inFlight = 0;
  let rounds = 0;
  let requests = 0;
  const counted = async (command: unknown) => {
    if (inFlight === 0) rounds += 1;
    inFlight += 1;
    requests += 1;
    try {
      return await send(command);
    } finally {
      inFlight -= 1;
    }
  };
  (db.doc as unknown as { send: typeof counted }).send = counted;
  return { rounds: () => rounds, requests: () => requests };
}
