import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { accountTypeItem } from '@/lambdas/accounts/account-items';
import type { MyRolesDeps } from '@/lambdas/aws/my-roles';
import { partitionFromEnv } from '@/lambdas/aws/my-roles';
import { readMyRolesHandler } from '@/lambdas/aws/read-my-roles';
import { groupItem, membershipItem } from '@/lambdas/groups/group-items';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { newId } from '@/lambdas/shared/ids';
import type { Caller } from '@/lambdas/shared/permissions';
import type { Item } from '@/lambdas/shared/store';
import { grantItem, grantTtl, type StoredGrant } from '@/lambdas/support/grant-items';
import { createHarness, type Harness, putAccount, putUser } from '@/test/lambdas/tasks/harness';
import { invoke } from '@/test/support/api-event';

let h: Harness;
let partition = 'aws';
const deps = (): MyRolesDeps => ({ db: h.deps.db, clock: h.clock, partition });
const readMyRoles = readMyRolesHandler(deps);
const HOUR = 3600 * 1000;

let member: Caller;
let prod: { id: string; awsAccountId: string };
let dev: { id: string; awsAccountId: string };

async function put(item: Item) {
  await h.table.doc.send(new PutCommand({ TableName: h.table.tableName, Item: item }));
}

beforeAll(async () => {
  h = await createHarness();
  h.clock.time = new Date(Math.ceil(Date.now() / HOUR) * HOUR);
  member = { kind: 'user', id: await putUser(h), role: 'customer_user' };
  prod = await putAccount(h, { name: 'zeta-prod' });
  dev = await putAccount(h, { name: 'alpha-dev' });
  const groupId = newId();
  await put(groupItem({ id: groupId, name: 'developers', groupType: 'LOCAL', status: 'ACTIVE', version: 1 }));
  await put(membershipItem(groupId, member.id, 'now'));
  const supportGroupId = newId();
  await put(membershipItem(supportGroupId, member.id, 'now'));
  await put(
    accountTypeItem({
      id: newId(),
      name: 'Production',
      version: 1,
      roles: [
        { GroupId: groupId, RoleName: 'developer' },
        { GroupId: groupId, RoleName: 'readonly' },
      ],
      accounts: [
        { AccountId: prod.id, AwsAccountId: prod.awsAccountId, Name: 'zeta-prod', Status: 'ACTIVE' },
      ],
    }),
  );
  const now = h.clock.now().getTime();
  const grant: StoredGrant = {
    id: newId(),
    userId: member.id,
    supportGroupId,
    requestedBy: member.id,
    caseReference: 'CASE-77',
    scope: { accountIds: [dev.id], accountTypeIds: [] },
    roleName: BUILTIN_ROLE_NAMES.readonly,
    durationHours: 2,
    status: 'ACTIVE',
    createdTs: new Date(now - HOUR).toISOString(),
    modifiedTs: new Date(now).toISOString(),
    approvedBy: newId(),
    startsAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 2 * HOUR).toISOString(),
    version: 2,
  };
  await put(grantItem(grant, grantTtl(grant)));
});
afterAll(() => h.drop());

describe('aws.ReadMyRoles', () => {
  it('lists built-in and support roles, sorted by account name then role, with their ARNs', async () => {
    const response = await invoke(readMyRoles, { caller: member });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      Roles: [
        {
          AccountId: dev.awsAccountId,
          AccountName: 'alpha-dev',
          RoleName: 'staxid-readonly-role',
          RoleArn: `arn:aws:iam::${dev.awsAccountId}:role/staxid-readonly-role`,
          Source: 'support',
          SupportAccessGrantId: expect.any(String),
          CaseReference: 'CASE-77',
        },
        {
          AccountId: prod.awsAccountId,
          AccountName: 'zeta-prod',
          RoleName: 'staxid-developer-role',
          RoleArn: `arn:aws:iam::${prod.awsAccountId}:role/staxid-developer-role`,
          Source: 'builtin',
        },
        {
          AccountId: prod.awsAccountId,
          AccountName: 'zeta-prod',
          RoleName: 'staxid-readonly-role',
          RoleArn: `arn:aws:iam::${prod.awsAccountId}:role/staxid-readonly-role`,
          Source: 'builtin',
        },
      ],
    });
  });

  it('builds ARNs in the partition of the region staxid runs in', async () => {
    partition = partitionFromEnv({ AWS_REGION: 'us-gov-west-1' });
    try {
      const response = await invoke(readMyRoles, { caller: member });
      const arns = (response.body as { Roles: { RoleArn: string }[] }).Roles.map((role) => role.RoleArn);
      expect(arns.every((arn) => arn.startsWith('arn:aws-us-gov:iam::'))).toBe(true);
    } finally {
      partition = 'aws';
    }
    expect(partitionFromEnv({})).toBe('aws');
    expect(partitionFromEnv({ AWS_REGION: 'eu-west-1' })).toBe('aws');
    expect(partitionFromEnv({ AWS_REGION: 'cn-north-1' })).toBe('aws-cn');
  });

  it('gives a user in no group nothing', async () => {
    const loner: Caller = { kind: 'user', id: await putUser(h), role: 'customer_readonly' };
    const response = await invoke(readMyRoles, { caller: loner });
    expect(response).toMatchObject({ status: 200, body: { Roles: [] } });
  });

  it('answers 404 to an API token, which is not a user', async () => {
    const response = await invoke(readMyRoles, {
      caller: { kind: 'token', id: 'AKSTAXIDTESTTOKEN0001', role: 'api_admin' },
    });
    expect(response.status).toBe(404);
  });

  it.each(['DISABLED', 'INVITED'] as const)('answers 403 to a %s user', async (status) => {
    const id = await putUser(h, { status });
    await put(membershipItem(newId(), id, 'now'));
    const response = await invoke(readMyRoles, { caller: { kind: 'user', id, role: 'customer_user' } });
    expect(response.status).toBe(403);
    expect((response.body as { Error: string }).Error).toContain(status);
  });

  it('answers 404 to a deleted or unknown user and 400 to a query parameter', async () => {
    const deleted = await putUser(h, { status: 'DELETED' });
    expect((await invoke(readMyRoles, { caller: { ...member, id: deleted } })).status).toBe(404);
    expect((await invoke(readMyRoles, { caller: { ...member, id: newId() } })).status).toBe(404);
    expect((await invoke(readMyRoles, { caller: member, query: { all: 'true' } })).status).toBe(400);
  });
});
