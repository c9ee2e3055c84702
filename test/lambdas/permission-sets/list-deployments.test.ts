import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deploymentKey } from '@/lambdas/permission-sets/items';
import { listDeployments } from '@/lambdas/permission-sets/list-deployments';
import {
  createFixture,
  type Fixture,
  putAccountType,
  putGroup,
} from '@/test/lambdas/permission-sets/support';
import { ADMIN, invoke } from '@/test/support/api-event';

let f: Fixture;

beforeAll(async () => {
  f = await createFixture();
});
afterAll(() => f.h.drop());

describe('listDeployments', () => {
  it("lists each account's deployment of each assignment, with why it failed", async () => {
    const created = await invoke(f.handlers.create, {
      method: 'POST',
      caller: ADMIN,
      body: { Name: 'Lister' },
    });
    const setId = (created.body as { Id: string }).Id;
    const groupId = await putGroup(f.h);
    const type = await putAccountType(f.h, ['ACTIVE', 'ACTIVE', 'SUSPENDED']);
    const assigned = await invoke(f.handlers.createAssignments, {
      method: 'POST',
      caller: ADMIN,
      pathParameters: { permission_set_id: setId },
      body: [{ AccountTypeId: type.id, GroupId: groupId }],
    });
    const [assignment] = assigned.body as Array<{ Id: string }>;
    const [failed, pending] = type.accounts.filter((account) => account.Status === 'ACTIVE');
    await f.h.table.doc.send(
      new UpdateCommand({
        TableName: f.h.table.tableName,
        Key: deploymentKey(setId, assignment?.Id ?? '', failed?.AwsAccountId ?? ''),
        UpdateExpression: 'SET #s = :failed, StatusReason = :reason',
        ExpressionAttributeNames: { '#s': 'Status' },
        ExpressionAttributeValues: {
          ':failed': 'DEPLOYMENT_FAILED',
          ':reason': 'AccessDenied: iam:CreateRole',
        },
      }),
    );

    const { Deployments } = await listDeployments(f.deps(), setId, {});

    expect(Deployments).toHaveLength(2);
    expect(Deployments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          AssignmentId: assignment?.Id,
          AwsAccountId: failed?.AwsAccountId,
          AccountId: failed?.AccountId,
          Status: 'DEPLOYMENT_FAILED',
          StatusReason: 'AccessDenied: iam:CreateRole',
        }),
        expect.objectContaining({ AwsAccountId: pending?.AwsAccountId, Status: 'CREATE_REQUESTED' }),
      ]),
    );
    expect(Deployments.every((deployment) => !('Version' in deployment))).toBe(true);
  });

  it('refuses a query parameter it does not know, naming it', async () => {
    await expect(
      listDeployments(f.deps(), '00000000-0000-4000-8000-000000000000', { limit: '5' }),
    ).rejects.toThrow('limit');
  });
});
