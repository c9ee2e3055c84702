/**
 * Session revocation (ADR 0013) puts its `staxid-revoked-sessions` inline policy on every
 * staxid role of an account, permission-set roles included. The deployment engine must not
 * take it for a policy the permission set dropped: a redeploy (or the reconcile) that
 * deleted it would give a disabled user's sessions their access back.
 */
import { IamAccountIamProvider } from '@/lambdas/deployments/account-iam';
import { convergeRole, removeRole } from '@/lambdas/deployments/converge';
import { desiredRole, planRole } from '@/lambdas/deployments/role-model';
import { REVOCATION_POLICY_NAME } from '@/lambdas/revocation/revocation-policy';
import { FakeIam } from '@/test/lambdas/deployments/fake-iam';

const ACCOUNT = '333333333333';
const DEPLOYER = 'arn:aws:iam::222222222222:role/staxid-deployer';
const S3_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});
const REVOCATION = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'RevokeUser',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceIdentity': 'user-1' } },
    },
  ],
});

const role = (inline: Record<string, string>) =>
  desiredRole(
    {
      Id: 'ps-1',
      Name: 'DataReader',
      InlinePolicies: Object.entries(inline).map(([Name, Policy]) => ({ Name, Policy })),
    },
    'aws',
    ACCOUNT,
  );

let fake: FakeIam;
beforeEach(() => {
  fake = new FakeIam();
});
afterEach(() => fake.restore());

async function accountIam() {
  return new IamAccountIamProvider({ deployerRoleArn: DEPLOYER, retry: { sleep: async () => {} } }).account(
    ACCOUNT,
  );
}

test('planning keeps the revocation policy, and still removes an inline policy the permission set dropped', () => {
  const live = {
    ...role({ s3: S3_POLICY }),
    inlinePolicies: { s3: S3_POLICY, [REVOCATION_POLICY_NAME]: REVOCATION },
  };
  expect(planRole(role({}), live)).toEqual([{ kind: 'deleteInlinePolicy', policyName: 's3' }]);
  expect(planRole(role({ s3: S3_POLICY }), live)).toEqual([]);
});

test('a redeploy through IAM leaves the revocation policy on the role', async () => {
  const iam = await accountIam();
  await convergeRole(iam, role({ s3: S3_POLICY }));
  const deployed = fake.roles.get('DataReader');
  if (!deployed) throw new Error('the role was not created');
  deployed.inline.set(REVOCATION_POLICY_NAME, REVOCATION);
  fake.resetCalls();

  expect(await convergeRole(iam, role({}))).toEqual([{ kind: 'deleteInlinePolicy', policyName: 's3' }]);
  expect([...deployed.inline.keys()]).toEqual([REVOCATION_POLICY_NAME]);
  expect(deployed.inline.get(REVOCATION_POLICY_NAME)).toBe(REVOCATION);
  expect(await convergeRole(iam, role({}))).toEqual([]);
});

test('removing the role removes the revocation policy with it, as IAM requires', async () => {
  const iam = await accountIam();
  await convergeRole(iam, role({}));
  fake.roles.get('DataReader')?.inline.set(REVOCATION_POLICY_NAME, REVOCATION);

  await removeRole(iam, role({}));
  expect(fake.roles.has('DataReader')).toBe(false);
});
