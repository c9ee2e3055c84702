/**
 * A permission set stored before the API kept room for session revocation (ADR 0013) may
 * have inline policies too large for the revocation policy to fit beside them. The
 * deployment engine must refuse to make (or update) its role, recording the deployment
 * FAILED, rather than make a role whose users' sessions cannot be revoked; deleting the
 * role must still work.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountIam, AccountIamProvider } from '@/lambdas/deployments/account-iam';
import { assignmentKey, DynamoDeploymentStore, deploymentKey } from '@/lambdas/deployments/deployment-store';
import { applyChange } from '@/lambdas/deployments/memory-iam';
import type { DeploymentMessage } from '@/lambdas/deployments/messages';
import { PermanentDeploymentError } from '@/lambdas/deployments/permanent-deployment-error';
import {
  desiredRole,
  type PermissionSetRoleSource,
  planRole,
  planRoleDeletion,
  type RoleChange,
  type RoleState,
} from '@/lambdas/deployments/role-model';
import { runDeployment } from '@/lambdas/deployments/run-deployment';
import { PERMISSION_SET_INLINE_POLICY_LIMIT } from '@/lambdas/revocation/revocation-policy';
import { createDb } from '@/lambdas/shared/db';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';

const ACCOUNT = '333333333333';
const NOW = new Date('2026-11-30T12:00:00.000Z');

/** A valid policy document whose minified JSON is exactly `length` characters long. */
function policyOf(length: number): string {
  const shape = (sid: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: sid, Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
  return shape('S'.repeat(length - shape('').length));
}

/** A permission set whose inline policies total `total` characters without whitespace (two of them, one pretty-printed). */
function permissionSetTotalling(total: number): PermissionSetRoleSource {
  const first = Math.floor(total / 2);
  return {
    Id: 'ps-old',
    Name: 'LegacyAdmins',
    InlinePolicies: [
      { Name: 'first', Policy: JSON.stringify(JSON.parse(policyOf(first)), null, 2) },
      { Name: 'second', Policy: policyOf(total - first) },
    ],
  };
}

const roleTotalling = (total: number) => desiredRole(permissionSetTotalling(total), 'aws', ACCOUNT);

describe('planRole and the room for session revocation', () => {
  test('plans a role whose inline policies total the maximum', () => {
    expect(planRole(roleTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT), undefined)[0]).toEqual({
      kind: 'createRole',
    });
  });

  test('refuses one character more with a PermanentDeploymentError saying why, for a new or an existing role', () => {
    const tooLarge = roleTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT + 1);
    const live = roleTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT);

    for (const existing of [undefined, live]) {
      expect(() => planRole(tooLarge, existing)).toThrow(PermanentDeploymentError);
      expect(() => planRole(tooLarge, existing)).toThrow(
        "the inline policies of permission set LegacyAdmins: total 8193 characters without whitespace; at most 8192 are allowed, because staxid keeps room for session revocation (2048 of IAM's 10240 per role): shorten them or use AWS managed policies instead",
      );
    }
  });

  test('still plans the deletion of such a role', () => {
    const live = roleTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT + 1);

    expect(planRoleDeletion(live).at(-1)).toEqual({ kind: 'deleteRole' });
  });
});

/** One member account's IAM in memory, with every write recorded. */
class MemoryAccount implements AccountIamProvider, AccountIam {
  readonly partition = 'aws';
  readonly roles = new Map<string, RoleState>();
  readonly writes: RoleChange[] = [];

  async account(): Promise<AccountIam> {
    return this;
  }

  async readRole(name: string): Promise<RoleState | undefined> {
    return this.roles.get(name);
  }

  async apply(role: RoleState, change: RoleChange): Promise<void> {
    this.writes.push(change);
    const next = applyChange(this.roles.get(role.name), role, change);
    if (next) this.roles.set(role.name, next);
    else this.roles.delete(role.name);
  }
}

describe('runDeployment of a permission set stored with too large inline policies', () => {
  let table: TestTable;
  beforeAll(async () => {
    table = await createTestTable();
  });
  afterAll(() => table.drop());

  const put = (Item: Record<string, unknown>) =>
    table.doc.send(new PutCommand({ TableName: table.tableName, Item }));

  async function seed(action: DeploymentMessage['action'], status: 'CREATE_REQUESTED' | 'DELETE_REQUESTED') {
    const source = permissionSetTotalling(PERMISSION_SET_INLINE_POLICY_LIMIT + 1);
    const permissionSetId = `ps-${action}`;
    const assignmentId = `as-${action}`;
    const requestedAt = '2026-11-30T11:00:00.000Z';
    await put({
      PK: `PERMSET#${permissionSetId}`,
      SK: 'PERMSET',
      ...source,
      Id: permissionSetId,
      Status: 'ACTIVE',
      Version: 1,
    });
    await put({
      ...assignmentKey(permissionSetId, assignmentId),
      Id: assignmentId,
      PermissionSetId: permissionSetId,
      AccountTypeId: 'at-1',
      GroupId: 'g-1',
      Status: status,
      Version: 1,
    });
    await put({
      ...deploymentKey(permissionSetId, assignmentId, ACCOUNT),
      PermissionSetId: permissionSetId,
      AssignmentId: assignmentId,
      AwsAccountId: ACCOUNT,
      AccountId: 'acc-1',
      Status: status,
      RequestedAt: requestedAt,
      ModifiedTS: requestedAt,
      Version: 1,
    });
    const message: DeploymentMessage = {
      permissionSetId,
      assignmentId,
      awsAccountId: ACCOUNT,
      action,
      requestedAt,
    };
    return { message, source, key: deploymentKey(permissionSetId, assignmentId, ACCOUNT) };
  }

  function deps(iam: MemoryAccount) {
    return {
      store: new DynamoDeploymentStore(createDb(table.tableName, table.client)),
      iam,
      clock: { now: () => NOW },
      retry: { sleep: async () => {} },
    };
  }

  async function statusOf(key: Record<string, string>) {
    const { Item } = await table.doc.send(new GetCommand({ TableName: table.tableName, Key: key }));
    return { Status: Item?.Status, StatusReason: Item?.StatusReason };
  }

  test('a deploy is recorded DEPLOYMENT_FAILED, with the reason, and no role is made', async () => {
    const iam = new MemoryAccount();
    const { message, key } = await seed('deploy', 'CREATE_REQUESTED');

    const outcome = await runDeployment(deps(iam), message, false);

    expect(outcome).toMatchObject({
      result: 'failed',
      reason: expect.stringContaining('session revocation'),
    });
    expect(await statusOf(key)).toEqual({
      Status: 'DEPLOYMENT_FAILED',
      StatusReason: expect.stringMatching(
        /^PermanentDeploymentError: the inline policies of permission set LegacyAdmins: total 8193 characters/,
      ),
    });
    expect(iam.writes).toEqual([]);
  });

  test('a delete of the role it made before the check still removes it', async () => {
    const iam = new MemoryAccount();
    const { message, source, key } = await seed('delete', 'DELETE_REQUESTED');
    const existing = desiredRole(source, 'aws', ACCOUNT);
    iam.roles.set(existing.name, existing);

    const outcome = await runDeployment(deps(iam), message, false);

    expect(outcome).toMatchObject({ result: 'complete' });
    expect(await statusOf(key)).toMatchObject({ Status: 'DELETE_COMPLETE' });
    expect(iam.roles.has(existing.name)).toBe(false);
  });
});
