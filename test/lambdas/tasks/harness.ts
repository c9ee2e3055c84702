/**
 * The test harness of the groups, account-type, account and task domains: a table of their
 * own in DynamoDB Local, deps around it (frozen-able clock, in-memory audit sink), users
 * written directly with the key layout, and a snapshot of the whole table to show that a
 * refused request wrote nothing.
 */
import { PutCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type AccountStatus, accountItem, awsAccountGuard } from '@/lambdas/accounts/account-items';
import type { AccountReadDeps } from '@/lambdas/accounts/accounts';
import type { DiscoveryDeps } from '@/lambdas/accounts/discovery';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { type Clock, createDb } from '@/lambdas/shared/db';
import { newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey, listing } from '@/lambdas/shared/keys';
import type { Logger } from '@/lambdas/shared/logger';
import { type Organization, SimulatedOrganization } from '@/lambdas/shared/organization';
import type { Caller } from '@/lambdas/shared/permissions';
import { API_ROLES, type StaxRole, USER_ROLES } from '@/lambdas/shared/roles';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

export const ORGANISATION_ID = '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
export const CONSOLE_URL = 'https://console.staxid.test';

export const quietLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export class TestClock implements Clock {
  constructor(public time = new Date('2026-01-01T00:00:00.000Z')) {}

  now(): Date {
    return this.time;
  }
}

export interface Harness {
  readonly table: TestTable;
  readonly audit: MemoryAuditSink;
  readonly clock: TestClock;
  readonly deps: AccountReadDeps & DiscoveryDeps;
  /** Changes the simulated organization DiscoverAccounts reads. */
  organization: Organization;
  /** Every item of the table, sorted by key. */
  snapshot(): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const table = await createTestTable();
  const audit = new MemoryAuditSink();
  const clock = new TestClock(new Date());
  const db = createDb(table.tableName, table.client);
  const harness: Harness = {
    table,
    audit,
    clock,
    organization: new SimulatedOrganization({
      OrganizationId: 'o-test000000',
      ManagementAccountId: '100000000001',
      Accounts: [{ Id: '100000000001', Name: 'management', Email: 'management@example.com' }],
    }),
    get deps() {
      return {
        db,
        clock,
        audit,
        organisationId: ORGANISATION_ID,
        logger: quietLogger,
        consoleUrl: CONSOLE_URL,
        organization: harness.organization,
        accountRoles: { management: '100000000001', security: '100000000002', logging: '100000000003' },
      };
    },
    snapshot: async () => {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await table.doc.send(
          new ScanCommand({ TableName: table.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items.sort((a, b) =>
        `${String(a.PK)}|${String(a.SK)}`.localeCompare(`${String(b.PK)}|${String(b.SK)}`),
      );
    },
    drop: () => table.drop(),
  };
  return harness;
}

export type UserStatus = 'ACTIVE' | 'DISABLED' | 'INVITED' | 'DELETED';

/** Writes a user item as the users domain does (the fields other domains rely on). */
export async function putUser(
  harness: Harness,
  options: { id?: string; status?: UserStatus; role?: string } = {},
): Promise<string> {
  const id = options.id ?? newId();
  const email = `${id.slice(0, 8)}@example.com`;
  await harness.table.doc.send(
    new PutCommand({
      TableName: harness.table.tableName,
      Item: {
        ...entityKey(ENTITY.user, id),
        ...listing(ENTITY.user, email),
        Id: id,
        Email: email,
        FirstName: 'Test',
        LastName: 'User',
        Role: options.role ?? 'customer_user',
        Status: options.status ?? 'ACTIVE',
        AuthOrigin: 'idam',
        Version: 1,
      },
    }),
  );
  return id;
}

/** One caller of every Stax role. */
export const CALLERS: readonly Caller[] = [...USER_ROLES, ...API_ROLES].map((role: StaxRole, index) => ({
  kind: role.startsWith('api_') ? 'token' : 'user',
  id: `00000000-0000-4000-8000-${String(100 + index).padStart(12, '0')}`,
  role,
}));

export const UNKNOWN_ID = '0badc0de-0000-4000-8000-000000000000';

let nextAwsAccount = 200000000000;

/** Writes an account item (and its AWS account guard) as DiscoverAccounts does; returns its Stax id. */
export async function putAccount(
  harness: Harness,
  options: { name?: string; awsAccountId?: string; status?: AccountStatus } = {},
): Promise<{ id: string; awsAccountId: string }> {
  const id = newId();
  nextAwsAccount += 1;
  const awsAccountId = options.awsAccountId ?? String(nextAwsAccount + Math.floor(Math.random() * 1e9));
  const now = new Date().toISOString();
  const name = options.name ?? `account-${awsAccountId}`;
  await harness.table.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: harness.table.tableName,
            Item: accountItem({
              id,
              awsAccountId,
              name,
              awsName: name,
              email: `${awsAccountId}@example.com`,
              status: options.status ?? 'ACTIVE',
              accountRole: 'MEMBER',
              createdTs: now,
              modifiedTs: now,
              version: 1,
            }),
          },
        },
        { Put: { TableName: harness.table.tableName, Item: awsAccountGuard(awsAccountId, id) } },
      ],
    }),
  );
  return { id, awsAccountId };
}
