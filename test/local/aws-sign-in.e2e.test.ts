/**
 * AWS sign-in end to end through `npm start`'s service, with nothing mocked: DynamoDB Local,
 * cognito-local, the local SAML sign-in endpoint and STS. An Admin sets up access over HTTP,
 * an invited person signs in to cognito-local, lists their roles, signs in to the console and
 * gets credentials (by the API and through the CLI and the AWS SDK); the audit trail shows
 * it all, and disabling the person denies their sessions and refuses new sign-ins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { fromIni } from '@aws-sdk/credential-providers';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import { SIGN_IN_EVENT_TYPE, SIGN_IN_MESSAGES } from '@/lambdas/triggers/sign-in';
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

const EMAIL = 'e2e.developer@example.com';
const NEW_PASSWORD = 'Correct-Horse-Battery-9';
/** `workload-dev` of DEFAULT_LOCAL_ORGANIZATION (local/organization.ts): a member account. */
const AWS_ACCOUNT_ID = '100000000004';
const ACCOUNT_NAME = 'workload-dev';
const DEVELOPER_ROLE = BUILTIN_ROLE_NAMES.developer;
const ADMIN_ROLE = BUILTIN_ROLE_NAMES.admin;

/** What the ordered steps hand each other. */
const state: { admin: string; userId: string; userToken: string } = { admin: '', userId: '', userToken: '' };

const local = useLocalService('staxid-aws-sign-in-e2e-', STEP_TIMEOUT);
const running = (): LocalService => local.running();
const cognitoClient = (): CognitoIdentityProviderClient => local.cognito();

const asAdmin = (method: string, path: string, body?: unknown): Promise<HttpReply> =>
  callApi(running().url, state.admin, method, path, body);
const asUser = (method: string, path: string, body?: unknown): Promise<HttpReply> =>
  callApi(running().url, state.userToken, method, path, body);

interface AuditEvent {
  readonly outcome: string;
  readonly actor: { readonly id: string };
  readonly detail: { readonly mode?: string; readonly roleName?: string; readonly reason?: string };
}

/** `outcome:mode:roleName:reason` of an aws.SignIn event. */
function summary(event: AuditEvent): string {
  const { mode, roleName, reason } = event.detail;
  return `${event.outcome}:${mode}:${roleName}:${reason ?? ''}`;
}

describe('AWS sign-in through the local service', () => {
  test(
    'an Admin exchanges the bootstrap token, discovers accounts and gives a group developer access',
    async () => {
      state.admin = await bootstrapAdminToken(local.home, running().url);
      expectStatus(await asAdmin('POST', '/20190206/accounts/discover'), 200);
      const accounts = await asAdmin('GET', '/20190206/accounts');
      expectStatus(accounts, 200);
      const account = (
        accounts.json as { Accounts: Array<{ Id: string; AwsAccountId: string }> }
      ).Accounts.find((candidate) => candidate.AwsAccountId === AWS_ACCOUNT_ID);
      if (!account) throw new Error(`DiscoverAccounts did not find ${AWS_ACCOUNT_ID}`);

      const type = await asAdmin('POST', '/20190206/accounts/types', { Name: 'E2E Development' });
      expectStatus(type, 200);
      const accountTypeId = (type.json as { Detail: { AccountType: { Id: string } } }).Detail.AccountType.Id;
      const group = await asAdmin('POST', '/20190206/groups', { Name: 'e2e-developers' });
      expectStatus(group, 200);
      const groupId = (group.json as { GroupId: string }).GroupId;

      expectStatus(
        await asAdmin('PUT', '/20190206/account-types/members', {
          Members: [{ AccountId: account.Id, AccountTypeId: accountTypeId }],
        }),
        200,
      );
      expectStatus(
        await asAdmin('PUT', '/20190206/accounts/types/access', {
          AddRoles: [{ AccountTypeId: accountTypeId, GroupId: groupId, RoleName: 'developer' }],
        }),
        200,
      );

      expectStatus(
        await asAdmin('POST', '/20190206/idam/user', { Email: EMAIL, FirstName: 'End', LastName: 'ToEnd' }),
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
          AddMembers: [{ UserId: state.userId, GroupId: groupId }],
        }),
        200,
      );
    },
    STEP_TIMEOUT,
  );

  test(
    'the invited person signs in to cognito-local with the mailed password, sets their own, and becomes ACTIVE',
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
    'the person lists the developer role in the account',
    async () => {
      const roles = await asUser('GET', '/20190206/users/me/aws-roles');
      expectStatus(roles, 200);
      expect(roles.json).toEqual({
        Roles: [
          expect.objectContaining({
            AccountId: AWS_ACCOUNT_ID,
            AccountName: ACCOUNT_NAME,
            RoleName: DEVELOPER_ROLE,
            RoleArn: `arn:aws:iam::${AWS_ACCOUNT_ID}:role/${DEVELOPER_ROLE}`,
          }),
        ],
      });
    },
    STEP_TIMEOUT,
  );

  test(
    'credentials come from the local STS',
    async () => {
      const credentials = await asUser('POST', '/20190206/aws/sign-in', {
        AccountId: AWS_ACCOUNT_ID,
        RoleName: DEVELOPER_ROLE,
        Mode: 'credentials',
      });
      expectStatus(credentials, 200);
      expect(credentials.headers.get('cache-control')).toBe('no-store');
      expect(credentials.json).toEqual({
        Version: 1,
        AccessKeyId: expect.stringMatching(/^ASIALOCAL/),
        SecretAccessKey: expect.any(String),
        SessionToken: expect.any(String),
        Expiration: expect.any(String),
      });
      expect(Date.parse((credentials.json as { Expiration: string }).Expiration)).toBeGreaterThan(Date.now());
    },
    STEP_TIMEOUT,
  );

  test(
    'the console page posts a SAML Response the local AWS sign-in endpoint accepts',
    async () => {
      const page = await asUser('POST', '/20190206/aws/sign-in', {
        AccountId: AWS_ACCOUNT_ID,
        RoleName: DEVELOPER_ROLE,
        Mode: 'console',
      });
      expectStatus(page, 200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const form = htmlForm(page.text);
      expect(form.action).toBe(running().endpoints.awsSignIn);
      expect(form.fields.SAMLResponse).toMatch(/^[A-Za-z0-9+/]+=*$/);

      const signedIn = await postForm(form.action, form.fields);
      expectStatus(signedIn, 200);
      expect(signedIn.text).toContain(`as ${DEVELOPER_ROLE} in ${AWS_ACCOUNT_ID}`);
      expect(signedIn.text).toContain(state.userId);
    },
    STEP_TIMEOUT,
  );

  test(
    'a role the person does not hold is refused',
    async () => {
      const refused = await asUser('POST', '/20190206/aws/sign-in', {
        AccountId: AWS_ACCOUNT_ID,
        RoleName: ADMIN_ROLE,
        Mode: 'credentials',
      });
      expectStatus(refused, 403);
      expect(refused.json).toEqual({ Error: expect.any(String) });
    },
    STEP_TIMEOUT,
  );

  test(
    'the CLI logs in, configures AWS profiles, and the AWS SDK gets credentials through them',
    async () => {
      const root = join(local.home, 'cli');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        STAXID_CONFIG_DIR: join(root, 'staxid'),
        AWS_CONFIG_FILE: join(root, 'aws', 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws', 'credentials'),
      };
      const login = await runStaxid(
        [
          'login',
          '--api',
          running().url,
          '--username',
          state.userId,
          '--password-stdin',
          '--cognito-endpoint',
          running().endpoints.cognito,
        ],
        { env, stdin: `${NEW_PASSWORD}\n` },
      );
      expect(login).toMatchObject({ code: 0, stdout: '' });
      const configure = await runStaxid(['configure', '--aws-config', join(root, 'aws', 'config')], { env });
      expect(configure).toMatchObject({ code: 0, stdout: '' });
      const profile = `staxid-${ACCOUNT_NAME}-${DEVELOPER_ROLE}`;
      expect(readFileSync(join(root, 'aws', 'config'), 'utf8')).toContain(`[profile ${profile}]`);

      // fromIni reads the files named by the environment, and runs credential_process with it.
      Object.assign(process.env, env);
      const credentials = await fromIni({ profile, ignoreCache: true })();
      expect(credentials.accessKeyId).toMatch(/^ASIALOCAL/);
      expect(credentials.sessionToken).toEqual(expect.any(String));
    },
    STEP_TIMEOUT,
  );

  test(
    'the audit trail lists the successful and the refused sign-ins, and the first sign-in to staxid',
    async () => {
      await running().flushAudit();
      const signIns = await asAdmin('GET', '/20190206/audit/events?type=aws.SignIn');
      expectStatus(signIns, 200);
      const events = (signIns.json as { Events: AuditEvent[] }).Events;
      expect(new Set(events.map((event) => event.actor.id))).toEqual(new Set([state.userId]));
      // The API's credentials, the console page, the CLI's credential_process; the admin role refused.
      expect(events.map(summary).sort()).toEqual([
        `FAILURE:credentials:${ADMIN_ROLE}:role_not_held`,
        `SUCCESS:console:${DEVELOPER_ROLE}:`,
        `SUCCESS:credentials:${DEVELOPER_ROLE}:`,
        `SUCCESS:credentials:${DEVELOPER_ROLE}:`,
      ]);

      // The trigger's events go through the table's outbox, which flushAudit delivered: the
      // first sign-in (in cognito-local, which runs the trigger) activated the person, the
      // CLI's password sign-in found them active.
      const userEvents = await asAdmin('GET', `/20190206/audit/events?user_id=${state.userId}`);
      expectStatus(userEvents, 200);
      const passwordSignIns = (
        userEvents.json as { Events: Array<AuditEvent & { staxEventType: string; time: string }> }
      ).Events.filter((event) => event.staxEventType === SIGN_IN_EVENT_TYPE).sort((a, b) =>
        a.time.localeCompare(b.time),
      );
      expect(passwordSignIns).toEqual([
        expect.objectContaining({
          outcome: 'SUCCESS',
          detail: expect.objectContaining({ reason: 'activated', loginType: 'Stax' }),
        }),
        expect.objectContaining({
          outcome: 'SUCCESS',
          detail: expect.objectContaining({ reason: 'active', loginType: 'Stax' }),
        }),
      ]);
    },
    STEP_TIMEOUT,
  );

  test(
    'disabling the person denies their sessions in the account and refuses a new sign-in',
    async () => {
      expectStatus(await asAdmin('PUT', `/20190206/idam/user/${state.userId}`, { Status: 'DISABLED' }), 200);
      await running().flushRevocations();
      const policies = JSON.parse(
        readFileSync(join(local.home, 'revocations', `${AWS_ACCOUNT_ID}.json`), 'utf8'),
      ) as Record<string, unknown>;
      expect(policies[DEVELOPER_ROLE]).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: '*',
            Condition: expect.objectContaining({ StringEquals: { 'aws:SourceIdentity': state.userId } }),
          }),
        ]),
      });

      const refused = await asUser('POST', '/20190206/aws/sign-in', {
        AccountId: AWS_ACCOUNT_ID,
        RoleName: DEVELOPER_ROLE,
        Mode: 'credentials',
      });
      // The authorizer resolves the caller on every call, and refuses a user who is not ACTIVE.
      expectStatus(refused, 401);

      // Nor can they sign in again: staxid disabled the pool user (in AWS, Cognito refuses a
      // disabled user's password; cognito-local does not check Enabled at InitiateAuth), and
      // the post-authentication trigger, which cognito-local runs, refuses a DISABLED user.
      const poolUser = await cognitoClient().send(
        new AdminGetUserCommand({ UserPoolId: running().endpoints.userPoolId, Username: state.userId }),
      );
      expect(poolUser.Enabled).toBe(false);
      await expect(
        cognitoClient().send(
          new InitiateAuthCommand({
            AuthFlow: 'USER_PASSWORD_AUTH',
            ClientId: running().endpoints.userPoolClientId,
            AuthParameters: { USERNAME: state.userId, PASSWORD: NEW_PASSWORD },
          }),
        ),
      ).rejects.toMatchObject({
        name: 'UserLambdaValidationException',
        message: expect.stringContaining(SIGN_IN_MESSAGES.notActive),
      });
    },
    STEP_TIMEOUT,
  );
});
