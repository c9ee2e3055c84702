/**
 * The support-access test organization: a support group with two engineers (one of them an
 * Admin), two other Admins, a user outside the group, accounts with and without an account
 * type, over the harness of test/lambdas/tasks (DynamoDB Local, MemoryAuditSink, TestClock).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { accountTypeItem } from '@/lambdas/accounts/account-items';
import { groupItem, groupNameGuard, membershipItem } from '@/lambdas/groups/group-items';
import { newId } from '@/lambdas/shared/ids';
import type { Caller } from '@/lambdas/shared/permissions';
import type { Item } from '@/lambdas/shared/store';
import type { SupportDeps } from '@/lambdas/support/support-access';
import { createHarness, type Harness, putAccount, putUser } from '@/test/lambdas/tasks/harness';

export const SUPPORT_GROUP = 'Support Engineers';

export interface SupportFixture {
  readonly h: Harness;
  readonly deps: () => SupportDeps;
  /** Support engineers: a customer_user and a customer_admin. */
  readonly engineer: Caller;
  readonly adminEngineer: Caller;
  /** Admins outside the support group. */
  readonly admin: Caller;
  readonly otherAdmin: Caller;
  /** A user outside the support group. */
  readonly outsider: Caller;
  readonly apiAdmin: Caller;
  /** An ACTIVE account in `accountType`, and an ACTIVE account in no account type. */
  readonly typedAccount: { readonly id: string; readonly awsAccountId: string };
  readonly looseAccount: { readonly id: string; readonly awsAccountId: string };
  readonly accountTypeId: string;
}

async function put(h: Harness, item: Item): Promise<void> {
  await h.table.doc.send(new PutCommand({ TableName: h.table.tableName, Item: item }));
}

async function user(h: Harness, role: Caller['role']): Promise<Caller> {
  const id = await putUser(h, { role });
  return { kind: 'user', id, role };
}

export async function createSupportFixture(): Promise<SupportFixture> {
  const h = await createHarness();
  const engineer = await user(h, 'customer_user');
  const adminEngineer = await user(h, 'customer_admin');
  const admin = await user(h, 'customer_admin');
  const otherAdmin = await user(h, 'customer_admin');
  const outsider = await user(h, 'customer_user');
  const groupId = newId();
  await put(
    h,
    groupItem({ id: groupId, name: SUPPORT_GROUP, groupType: 'LOCAL', status: 'ACTIVE', version: 1 }),
  );
  await put(h, groupNameGuard(SUPPORT_GROUP, groupId));
  for (const member of [engineer, adminEngineer]) await put(h, membershipItem(groupId, member.id, 'now'));
  const typedAccount = await putAccount(h, { name: 'customer-prod' });
  const looseAccount = await putAccount(h, { name: 'customer-dev' });
  const accountTypeId = newId();
  await put(
    h,
    accountTypeItem({
      id: accountTypeId,
      name: 'Production',
      version: 1,
      roles: [],
      accounts: [
        {
          AccountId: typedAccount.id,
          AwsAccountId: typedAccount.awsAccountId,
          Name: 'customer-prod',
          Status: 'ACTIVE',
        },
      ],
    }),
  );
  return {
    h,
    deps: () => ({ ...h.deps, supportGroupName: SUPPORT_GROUP }),
    engineer,
    adminEngineer,
    admin,
    otherAdmin,
    outsider,
    apiAdmin: { kind: 'token', id: 'AKSTAXIDTESTADMIN0001', role: 'api_admin' },
    typedAccount,
    looseAccount,
    accountTypeId,
  };
}
