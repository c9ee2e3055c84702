/**
 * Permission sets end to end through `npm start`'s service, with nothing mocked (issue 6,
 * items 5 and 6): DynamoDB Local, cognito-local, the local deployer writing roles under
 * `$STAXID_HOME/iam`, the local SAML sign-in endpoint and STS, and the `staxid` CLI. An Admin
 * defines a permission set and assigns it to a group on an account type; the deployer puts
 * the role in every account of the type; a member of the group sees it, signs in to the
 * console and gets credentials as long as the permission set allows; accounts joining and
 * leaving the type gain and lose the role; the scheduled reconcile audits and repairs a role
 * changed outside staxid; deleting the assignment removes it everywhere.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromIni } from '@aws-sdk/credential-providers';
import type { RoleState } from '@/lambdas/deployments/role-model';
import { deploymentsOf } from '@/lambdas/permission-sets/assignments';
import type { DeploymentStatus } from '@/lambdas/permission-sets/items';
import { createDb, type Db } from '@/lambdas/shared/db';
import { LocalIam, localPermissionSetRoles } from '@/local/deployer';
import type { LocalService } from '@/local/service';
import {
  bootstrapAdminToken,
  callApi,
  expectStatus,
  firstSignInOfInvited,
  type HttpReply,
  htmlForm,
  postForm,
  runStaxid,
  useLocalService,
} from './e2e-helpers';

const STEP_TIMEOUT = 120_000;
/** How long the local deployer may take to reach a state: it runs in-process, so seconds at most. */
const DEPLOY_TIMEOUT_MS = 30_000;

const EMAIL = 'e2e.data-reader@example.com';
const NEW_PASSWORD = 'Correct-Horse-Battery-9';
const ROLE_NAME = 'E2eDataReader';
const MAX_SESSION_DURATION = 7200;
const MANAGED_POLICY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const INLINE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::e2e-data/*' }],
});
const TAGS = { Team: 'data', CostCentre: 'e2e' };
/** What UpdatePermissionSet changes it to: a longer session, no inline policy, one tag fewer. */
const UPDATED_MAX_SESSION_DURATION = 10_800;

/** Members of DEFAULT_LOCAL_ORGANIZATION (local/organization.ts). */
const DEV = { awsAccountId: '100000000004', name: 'workload-dev' };
const TEST = { awsAccountId: '100000000005', name: 'workload-test' };
const PROD = { awsAccountId: '100000000006', name: 'workload-prod' };
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

let dynamodb: DynamoDBClient | undefined;

/** What the ordered steps hand each other. */
const state = {
  admin: '',
  userId: '',
  userToken: '',
  permissionSetId: '',
  assignmentId: '',
  accountTypeId: '',
  parkingTypeId: '',
  groupId: '',
  /** Stax account id by AWS account id. */
  accountIds: new Map<string, string>(),
};

const local = useLocalService('staxid-permission-sets-e2e-', STEP_TIMEOUT);
const running = (): LocalService => local.running();

/** The service's table in DynamoDB Local, to read deployment items as the engine wrote them. */
function table(): Db {
  if (!dynamodb) throw new Error('no DynamoDB Local client: the local service did not start');
  return createDb(running().endpoints.tableName, dynamodb);
}

const asAdmin = (method: string, path: string, body?: unknown): Promise<HttpReply> =>
  callApi(running().url, state.admin, method, path, body);
const asUser = (method: string, path: string, body?: unknown): Promise<HttpReply> =>
  callApi(running().url, state.userToken, method, path, body);

function roleArnIn(awsAccountId: string): string {
  return `arn:aws:iam::${awsAccountId}:role/staxid/${ROLE_NAME}`;
}

function roleFile(awsAccountId: string): string {
  return join(local.home, 'iam', awsAccountId, 'roles', `${ROLE_NAME}.json`);
}

/** Polls `probe` until it returns something other than undefined; fails after DEPLOY_TIMEOUT_MS naming `what`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEPLOY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Timed out after ${DEPLOY_TIMEOUT_MS} ms waiting for ${what} (last error: ${String(last)})`,
  );
}

/** The assignment's deployments, status by AWS account id, read from the table. */
async function deploymentStatuses(): Promise<Record<string, DeploymentStatus>> {
  const deployments = await deploymentsOf(table(), state.permissionSetId, state.assignmentId);
  return Object.fromEntries(deployments.map((deployment) => [deployment.AwsAccountId, deployment.Status]));
}

/** Waits until the deployments are exactly `expected` (AWS account id → status). */
function deploymentsReach(
  expected: Record<string, DeploymentStatus>,
): Promise<Record<string, DeploymentStatus>> {
  const wanted = JSON.stringify(Object.entries(expected).sort());
  let seen: Record<string, DeploymentStatus> = {};
  return eventually(`deployments ${wanted}`, async () => {
    seen = await deploymentStatuses();
    return JSON.stringify(Object.entries(seen).sort()) === wanted ? seen : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen ${JSON.stringify(seen)}`);
  });
}

/** The assignment's Status as ListPermissionSetAssignments answers it. */
async function assignmentStatus(): Promise<string | undefined> {
  const listed = await asAdmin('GET', `/20210321/permission-sets/${state.permissionSetId}/assignments`);
  expectStatus(listed, 200);
  return (listed.json as { Assignments: Array<{ Id: string; Status: string }> }).Assignments.find(
    (assignment) => assignment.Id === state.assignmentId,
  )?.Status;
}

function assignmentReaches(status: string): Promise<string> {
  return eventually(`the assignment to be ${status}`, async () =>
    (await assignmentStatus()) === status ? status : undefined,
  );
}

/** Moves accounts (AWS account ids) into an account type with UpdateAccountTypeMembers. */
async function moveAccounts(accountTypeId: string, awsAccountIds: readonly string[]): Promise<void> {
  const members = awsAccountIds.map((awsAccountId) => {
    const accountId = state.accountIds.get(awsAccountId);
    if (!accountId) throw new Error(`DiscoverAccounts did not find ${awsAccountId}`);
    return { AccountId: accountId, AccountTypeId: accountTypeId };
  });
  expectStatus(await asAdmin('PUT', '/20190206/account-types/members', { Members: members }), 200);
}

function signIn(awsAccountId: string, mode: 'console' | 'credentials'): Promise<HttpReply> {
  return asUser('POST', '/20190206/aws/sign-in', {
    AccountId: awsAccountId,
    RoleName: ROLE_NAME,
    Mode: mode,
  });
}

beforeAll(() => {
  dynamodb = new DynamoDBClient({
    endpoint: running().endpoints.dynamodb,
    region: running().endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(() => {
  dynamodb?.destroy();
});

describe('permission sets through the local service', () => {
  test(
    'an Admin sets up an account type with two accounts, a group and an invited member',
    async () => {
      state.admin = await bootstrapAdminToken(local.home, running().url);
      expectStatus(await asAdmin('POST', '/20190206/accounts/discover'), 200);
      const accounts = await asAdmin('GET', '/20190206/accounts');
      expectStatus(accounts, 200);
      for (const account of (accounts.json as { Accounts: Array<{ Id: string; AwsAccountId: string }> })
        .Accounts) {
        state.accountIds.set(account.AwsAccountId, account.Id);
      }

      const createType = async (Name: string): Promise<string> => {
        const type = await asAdmin('POST', '/20190206/accounts/types', { Name });
        expectStatus(type, 200);
        return (type.json as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
      };
      state.accountTypeId = await createType('E2E Data');
      state.parkingTypeId = await createType('E2E Parking');
      await moveAccounts(state.accountTypeId, [DEV.awsAccountId, TEST.awsAccountId]);
      await moveAccounts(state.parkingTypeId, [PROD.awsAccountId]);

      const group = await asAdmin('POST', '/20190206/groups', { Name: 'e2e-data-readers' });
      expectStatus(group, 200);
      state.groupId = (group.json as { GroupId: string }).GroupId;
      expectStatus(
        await asAdmin('POST', '/20190206/idam/user', { Email: EMAIL, FirstName: 'Data', LastName: 'Reader' }),
        200,
      );
      const users = await asAdmin('GET', '/20190206/users?status_filter=INVITED');
      const invited = (users.json as { Users: Array<{ Id: string; Email: string }> }).Users.find(
        (user) => user.Email === EMAIL,
      );
      if (!invited) throw new Error(`${EMAIL} is not listed as INVITED`);
      state.userId = invited.Id;
      expectStatus(
        await asAdmin('PUT', '/20190206/groups/members', {
          AddMembers: [{ UserId: state.userId, GroupId: state.groupId }],
        }),
        200,
      );
    },
    STEP_TIMEOUT,
  );

  test(
    'the Admin creates a permission set and assigns it to the group on the account type',
    async () => {
      const created = await asAdmin('POST', '/20210321/permission-sets', {
        Name: ROLE_NAME,
        Description: 'Reads the e2e data',
        AWSManagedPolicies: [{ PolicyArn: MANAGED_POLICY }],
        InlinePolicies: [{ Name: 'e2e-data', Policy: INLINE_POLICY }],
        MaxSessionDuration: MAX_SESSION_DURATION,
        Tags: TAGS,
      });
      expectStatus(created, 201);
      expect(created.json).toMatchObject({
        Name: ROLE_NAME,
        MaxSessionDuration: MAX_SESSION_DURATION,
        Tags: TAGS,
      });
      state.permissionSetId = (created.json as { Id: string }).Id;

      const assigned = await asAdmin(
        'POST',
        `/20210321/permission-sets/${state.permissionSetId}/assignments`,
        [{ AccountTypeId: state.accountTypeId, GroupId: state.groupId }],
      );
      expectStatus(assigned, 200);
      const [assignment] = assigned.json as Array<{ Id: string; Status: string }>;
      if (!assignment)
        throw new Error(`CreatePermissionSetAssignments answered no assignment: ${assigned.text}`);
      expect(assignment.Status).toBe('CREATE_REQUESTED');
      state.assignmentId = assignment.Id;
    },
    STEP_TIMEOUT,
  );

  test(
    'the local deployer puts the role in both accounts of the type, as IAM would hold it',
    async () => {
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      await assignmentReaches('DEPLOYMENT_COMPLETE');

      for (const { awsAccountId } of [DEV, TEST]) {
        const role = JSON.parse(readFileSync(roleFile(awsAccountId), 'utf8')) as RoleState;
        expect(role).toEqual({
          name: ROLE_NAME,
          path: '/staxid/',
          description: 'Reads the e2e data',
          maxSessionDuration: MAX_SESSION_DURATION,
          trustPolicy: expect.any(String),
          inlinePolicies: { 'e2e-data': INLINE_POLICY },
          managedPolicyArns: [MANAGED_POLICY],
          tags: TAGS,
        });
        expect(JSON.parse(role.trustPolicy)).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::${awsAccountId}:saml-provider/staxid` },
              Action: ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'],
              Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
            },
          ],
        });
      }
      expect(existsSync(roleFile(PROD.awsAccountId))).toBe(false);
      const iam = new LocalIam(join(local.home, 'iam'));
      expect(await iam.roleNames(DEV.awsAccountId)).toEqual([ROLE_NAME]);
      expect(await iam.roleNames(PROD.awsAccountId)).toEqual([]);

      const roles = await asAdmin('GET', '/20210321/permission-sets/roles');
      expectStatus(roles, 200);
      expect(
        (roles.json as { Roles: Array<{ AWSAccountId: string; RoleArn: string; Status: string }> }).Roles.map(
          (role) => `${role.AWSAccountId}:${role.RoleArn}:${role.Status}`,
        ),
      ).toEqual([
        `${DEV.awsAccountId}:${roleArnIn(DEV.awsAccountId)}:ACTIVE`,
        `${TEST.awsAccountId}:${roleArnIn(TEST.awsAccountId)}:ACTIVE`,
      ]);
    },
    STEP_TIMEOUT,
  );

  test(
    'the invited member signs in to cognito-local with a password and becomes ACTIVE',
    async () => {
      // cognito-local runs the user pool's post-authentication trigger, as Cognito does: the
      // first sign-in makes the INVITED user ACTIVE (checked by the helper).
      state.userToken = await firstSignInOfInvited(local, {
        email: EMAIL,
        userId: state.userId,
        newPassword: NEW_PASSWORD,
      });
    },
    STEP_TIMEOUT,
  );

  test(
    'the member sees the role in both accounts in aws-roles and ListMyRoles; an API token gets 403',
    async () => {
      const awsRoles = await asUser('GET', '/20190206/users/me/aws-roles');
      expectStatus(awsRoles, 200);
      expect(awsRoles.json).toEqual({
        Roles: [DEV, TEST].map(({ awsAccountId, name }) =>
          expect.objectContaining({
            AccountId: awsAccountId,
            AccountName: name,
            RoleName: ROLE_NAME,
            RoleArn: roleArnIn(awsAccountId),
          }),
        ),
      });

      const myRoles = await asUser('GET', '/20210321/permission-sets/roles/me');
      expectStatus(myRoles, 200);
      expect((myRoles.json as { Roles: unknown[] }).Roles).toEqual(
        [DEV, TEST].map(({ awsAccountId }) =>
          expect.objectContaining({
            PermissionSetId: state.permissionSetId,
            AssignmentId: state.assignmentId,
            AWSAccountId: awsAccountId,
            RoleName: ROLE_NAME,
            RoleArn: roleArnIn(awsAccountId),
            Status: 'ACTIVE',
          }),
        ),
      );

      const asToken = await asAdmin('GET', '/20210321/permission-sets/roles/me');
      expectStatus(asToken, 403);
      expect(asToken.json).toEqual({ Error: { Code: 403, Message: expect.stringContaining('API token') } });
    },
    STEP_TIMEOUT,
  );

  test(
    'console sign-in: the local AWS sign-in endpoint validates the SAML Response and lands on the role',
    async () => {
      const page = await signIn(DEV.awsAccountId, 'console');
      expectStatus(page, 200);
      const form = htmlForm(page.text);
      expect(form.action).toBe(running().endpoints.awsSignIn);

      const landed = await postForm(form.action, form.fields);
      expectStatus(landed, 200);
      expect(landed.text).toContain(`as ${ROLE_NAME} in ${DEV.awsAccountId}`);
      expect(landed.text).toContain(roleArnIn(DEV.awsAccountId));
    },
    STEP_TIMEOUT,
  );

  test(
    'credentials through the staxid CLI and the AWS SDK last the permission set’s MaxSessionDuration',
    async () => {
      const root = join(local.home, 'cli');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        STAXID_CONFIG_DIR: join(root, 'staxid'),
        AWS_CONFIG_FILE: join(root, 'aws', 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws', 'credentials'),
      };
      const { url, endpoints } = running();
      const login = await runStaxid(
        [
          'login',
          '--api',
          url,
          '--username',
          state.userId,
          '--password-stdin',
          '--cognito-endpoint',
          endpoints.cognito,
        ],
        { env, stdin: `${NEW_PASSWORD}\n` },
      );
      expect(login).toMatchObject({ code: 0, stdout: '' });

      const before = Date.now();
      const direct = await runStaxid(['credentials', '--account', TEST.name, '--role', ROLE_NAME], { env });
      expect(direct).toMatchObject({ code: 0 });
      const printed = JSON.parse(direct.stdout) as { AccessKeyId: string; Expiration: string };
      expect(printed.AccessKeyId).toMatch(/^ASIALOCAL/);
      expectSessionOf(Date.parse(printed.Expiration), before);

      const configure = await runStaxid(['configure', '--aws-config', join(root, 'aws', 'config')], { env });
      expect(configure).toMatchObject({ code: 0, stdout: '' });
      // `staxid configure` names profiles in lower case.
      const profile = `staxid-${DEV.name}-${ROLE_NAME.toLowerCase()}`;
      expect(readFileSync(join(root, 'aws', 'config'), 'utf8')).toContain(`[profile ${profile}]`);
      // fromIni reads the files named by the environment, and runs credential_process with it.
      Object.assign(process.env, env);
      const viaSdk = await fromIni({ profile, ignoreCache: true })();
      expect(viaSdk.accessKeyId).toMatch(/^ASIALOCAL/);
      expectSessionOf(viaSdk.expiration?.getTime() ?? 0, before);
    },
    STEP_TIMEOUT,
  );

  test(
    'updating the permission set redeploys the role everywhere, and sessions follow its new MaxSessionDuration',
    async () => {
      const updated = await asAdmin('PUT', `/20210321/permission-sets/${state.permissionSetId}`, {
        MaxSessionDuration: UPDATED_MAX_SESSION_DURATION,
        InlinePolicies: [],
        Tags: { Team: 'data' },
      });
      expectStatus(updated, 200);
      for (const { awsAccountId } of [DEV, TEST]) {
        const role = await eventually(`the role in ${awsAccountId} to be updated`, async () => {
          const current = JSON.parse(readFileSync(roleFile(awsAccountId), 'utf8')) as RoleState;
          return current.maxSessionDuration === UPDATED_MAX_SESSION_DURATION ? current : undefined;
        });
        expect(role).toMatchObject({
          inlinePolicies: {},
          managedPolicyArns: [MANAGED_POLICY],
          tags: { Team: 'data' },
        });
      }
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      await assignmentReaches('DEPLOYMENT_COMPLETE');

      const before = Date.now();
      const credentials = await signIn(DEV.awsAccountId, 'credentials');
      expectStatus(credentials, 200);
      expectSessionOf(
        Date.parse((credentials.json as { Expiration: string }).Expiration),
        before,
        UPDATED_MAX_SESSION_DURATION,
      );
    },
    STEP_TIMEOUT,
  );

  test(
    'an account that joins the account type later gets the role',
    async () => {
      await moveAccounts(state.accountTypeId, [PROD.awsAccountId]);
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [PROD.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      expect(localPermissionSetRoles(join(local.home, 'iam'))(roleArnIn(PROD.awsAccountId))).toEqual({
        maxSessionDuration: UPDATED_MAX_SESSION_DURATION,
      });
      const credentials = await signIn(PROD.awsAccountId, 'credentials');
      expectStatus(credentials, 200);
    },
    STEP_TIMEOUT,
  );

  test(
    'an account moved out of the type loses the role, and sign-in to it is refused',
    async () => {
      await moveAccounts(state.parkingTypeId, [TEST.awsAccountId]);
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DELETE_COMPLETE',
        [PROD.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      expect(existsSync(roleFile(TEST.awsAccountId))).toBe(false);
      expect(existsSync(roleFile(DEV.awsAccountId))).toBe(true);
      // The assignment itself stays deployed: an account leaving does not change it.
      expect(await assignmentStatus()).toBe('DEPLOYMENT_COMPLETE');

      const refused = await signIn(TEST.awsAccountId, 'credentials');
      expectStatus(refused, 403);
      const myRoles = await asUser('GET', '/20210321/permission-sets/roles/me');
      expect(
        (myRoles.json as { Roles: Array<{ AWSAccountId: string }> }).Roles.map((role) => role.AWSAccountId),
      ).toEqual([DEV.awsAccountId, PROD.awsAccountId]);
    },
    STEP_TIMEOUT,
  );

  test(
    'a role deleted outside staxid is refused by the STS stand-in until RedeployPermissionSetAssignment puts it back',
    async () => {
      rmSync(roleFile(PROD.awsAccountId));
      const refused = await signIn(PROD.awsAccountId, 'credentials');
      expectStatus(refused, 403);
      expect(refused.json).toEqual({ Error: expect.stringContaining('AWS refused the sign-in') });

      const redeployed = await asAdmin(
        'PUT',
        `/20210321/permission-sets/${state.permissionSetId}/assignments/${state.assignmentId}`,
      );
      expectStatus(redeployed, 200);
      await eventually('the role to be back', async () =>
        existsSync(roleFile(PROD.awsAccountId)) ? true : undefined,
      );
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DELETE_COMPLETE',
        [PROD.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      expectStatus(await signIn(PROD.awsAccountId, 'credentials'), 200);
    },
    STEP_TIMEOUT,
  );

  test(
    'the scheduled reconcile finds a role widened outside staxid, audits the drift and puts the role back',
    async () => {
      const deployed = JSON.parse(readFileSync(roleFile(DEV.awsAccountId), 'utf8')) as RoleState;
      const widened: RoleState = {
        ...deployed,
        managedPolicyArns: [...deployed.managedPolicyArns, ADMINISTRATOR_ACCESS],
      };
      writeFileSync(roleFile(DEV.awsAccountId), JSON.stringify(widened));

      const summary = await running().reconcile();
      expect(summary).toMatchObject({ stalled: { requeued: 0, failed: 0 }, drifted: 1, failed: 0 });
      const repaired = await eventually('the role to be put back', async () => {
        const role = JSON.parse(readFileSync(roleFile(DEV.awsAccountId), 'utf8')) as RoleState;
        return role.managedPolicyArns.includes(ADMINISTRATOR_ACCESS) ? undefined : role;
      });
      expect(repaired).toEqual(deployed);
      await deploymentsReach({
        [DEV.awsAccountId]: 'DEPLOYMENT_COMPLETE',
        [TEST.awsAccountId]: 'DELETE_COMPLETE',
        [PROD.awsAccountId]: 'DEPLOYMENT_COMPLETE',
      });
      // A second run finds nothing left to repair.
      expect(await running().reconcile()).toMatchObject({ drifted: 0, failed: 0 });

      await running().flushAudit();
      const drift = await asAdmin('GET', '/20190206/audit/events?type=permissionSets.DriftDetected');
      expectStatus(drift, 200);
      expect((drift.json as { Events: Array<{ detail: unknown }> }).Events).toEqual([
        expect.objectContaining({
          detail: {
            awsAccountId: DEV.awsAccountId,
            assignmentId: state.assignmentId,
            roleName: ROLE_NAME,
            differences: [expect.stringContaining(ADMINISTRATOR_ACCESS)],
          },
        }),
      ]);
    },
    STEP_TIMEOUT,
  );

  test(
    'deleting the assignment removes the role from every account',
    async () => {
      const deleted = await asAdmin(
        'DELETE',
        `/20210321/permission-sets/${state.permissionSetId}/assignments/${state.assignmentId}`,
      );
      expectStatus(deleted, 200);
      await deploymentsReach({
        [DEV.awsAccountId]: 'DELETE_COMPLETE',
        [TEST.awsAccountId]: 'DELETE_COMPLETE',
        [PROD.awsAccountId]: 'DELETE_COMPLETE',
      });
      await assignmentReaches('DELETE_COMPLETE');
      for (const { awsAccountId } of [DEV, TEST, PROD])
        expect(existsSync(roleFile(awsAccountId))).toBe(false);

      expectStatus(await signIn(DEV.awsAccountId, 'credentials'), 403);
      const myRoles = await asUser('GET', '/20210321/permission-sets/roles/me');
      expectStatus(myRoles, 200);
      expect((myRoles.json as { Roles: unknown[] }).Roles).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  test(
    'the audit trail tells why each refused sign-in was refused',
    async () => {
      await running().flushAudit();
      const signIns = await asAdmin('GET', '/20190206/audit/events?type=aws.SignIn');
      expectStatus(signIns, 200);
      const events = (
        signIns.json as {
          Events: Array<{ outcome: string; detail: { mode?: string; roleName?: string; reason?: string } }>;
        }
      ).Events;
      expect(events.every((event) => event.detail.roleName === ROLE_NAME)).toBe(true);
      // Moved out of the type and assignment deleted: staxid refuses; deleted in the account: AWS does.
      expect(
        events
          .filter((event) => event.outcome === 'FAILURE')
          .map((event) => `${event.detail.mode}:${event.detail.reason}`)
          .sort(),
      ).toEqual(['credentials:role_not_held', 'credentials:role_not_held', 'credentials:sts_refused']);
      expect(
        events.filter((event) => event.outcome === 'SUCCESS' && event.detail.mode === 'console'),
      ).toHaveLength(1);
    },
    STEP_TIMEOUT,
  );
});

/** The session ends MaxSessionDuration after it was asked for (a minute's slack either way). */
function expectSessionOf(expiresAt: number, askedAt: number, seconds = MAX_SESSION_DURATION): void {
  expect(expiresAt).toBeGreaterThan(askedAt + (seconds - 60) * 1000);
  expect(expiresAt).toBeLessThan(Date.now() + (seconds + 60) * 1000);
}
