/**
 * lambdas/shared/directory.ts: the Cognito user directory, in AWS mode (Cognito mails;
 * the SDK mocked, no network) and in local mode (outbox) against cognito-local.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  AliasExistsException,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InvalidParameterException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { CognitoUserDirectory, temporaryPassword } from '@/lambdas/shared/directory';
import { ConflictError, ValidationError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';

const POOL = 'us-east-1_TestPool';
const USER = { username: '0f8fad5b-d9cb-469f-a165-70867728950e', email: 'ada@example.com' };

describe('CognitoUserDirectory in AWS (Cognito sends the mail)', () => {
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
  const cognito = mockClient(client);
  const directory = new CognitoUserDirectory({ client, userPoolId: POOL });

  afterEach(() => cognito.reset());
  afterAll(() => cognito.restore());

  it('creates the user named by the staxid id and lets Cognito email the temporary password', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    await directory.createUser({ ...USER, firstName: 'Ada', lastName: '' });
    expect(cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input)).toEqual([
      {
        UserPoolId: POOL,
        Username: USER.username,
        UserAttributes: [
          { Name: 'email', Value: USER.email },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'given_name', Value: 'Ada' },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      },
    ]);
  });

  it('re-sends the invitation with MessageAction RESEND', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    await directory.resendInvitation(USER);
    expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: POOL,
      Username: USER.username,
      MessageAction: 'RESEND',
      DesiredDeliveryMediums: ['EMAIL'],
    });
  });

  it('resets a password with AdminResetUserPassword', async () => {
    cognito.on(AdminResetUserPasswordCommand).resolves({});
    await directory.resetPassword(USER);
    expect(cognito.commandCalls(AdminResetUserPasswordCommand)[0]?.args[0].input).toEqual({
      UserPoolId: POOL,
      Username: USER.username,
    });
    expect(cognito.commandCalls(AdminSetUserPasswordCommand)).toHaveLength(0);
  });

  it('disables, then signs the user out everywhere', async () => {
    cognito.on(AdminDisableUserCommand).resolves({});
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    await directory.disable(USER.username);
    const calls = cognito.calls().map((call) => call.args[0].constructor.name);
    expect(calls).toEqual(['AdminDisableUserCommand', 'AdminUserGlobalSignOutCommand']);
  });

  it('takes a user already gone as deleted', async () => {
    cognito
      .on(AdminDeleteUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    await expect(directory.deleteUser(USER.username)).resolves.toBeUndefined();
  });

  it('sets names and email, and removes an emptied name', async () => {
    cognito.on(AdminUpdateUserAttributesCommand).resolves({});
    cognito.on(AdminDeleteUserAttributesCommand).resolves({});
    await directory.updateAttributes(USER.username, {
      email: 'new@example.com',
      firstName: 'Augusta',
      lastName: '',
    });
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0]?.args[0].input.UserAttributes).toEqual([
      { Name: 'email', Value: 'new@example.com' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'given_name', Value: 'Augusta' },
    ]);
    expect(
      cognito.commandCalls(AdminDeleteUserAttributesCommand)[0]?.args[0].input.UserAttributeNames,
    ).toEqual(['family_name']);
  });

  it('turns an address another pool user signs in with into a 409, and a refused value into a 400', async () => {
    cognito
      .on(AdminCreateUserCommand)
      .rejectsOnce(
        new AliasExistsException({ message: 'An account with the email already exists.', $metadata: {} }),
      )
      .rejectsOnce(
        new InvalidParameterException({ message: 'Invalid email address format.', $metadata: {} }),
      );
    const user = { ...USER, firstName: 'A', lastName: 'B' };
    await expect(directory.createUser(user)).rejects.toEqual(
      new ConflictError(
        'Email "ada@example.com" is already used by another user of the user pool: use another address',
      ),
    );
    await expect(directory.createUser(user)).rejects.toEqual(
      new ValidationError('Body', 'the user directory refused a value: Invalid email address format.'),
    );
  });
});

describe('CognitoUserDirectory locally (cognito-local, outbox)', () => {
  let cognito: TestCognito;

  beforeAll(async () => {
    cognito = await startTestCognito();
  });
  afterAll(() => cognito.stop());

  it('invites with a temporary password that signs in, written to the outbox for its owner only', async () => {
    const username = newId();
    await cognito.directory.createUser({
      username,
      email: 'local@example.com',
      firstName: 'Lo',
      lastName: 'Cal',
    });

    const [message] = cognito.outbox();
    expect(message).toMatchObject({ Kind: 'invitation', To: 'local@example.com', Username: username });
    expect(statSync(join(cognito.outboxDir, `${message?.MessageId}.json`)).mode & 0o777).toBe(0o600);
    const signIn = await cognito.client.send(
      new InitiateAuthCommand({
        ClientId: cognito.userPoolClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: String(message?.TemporaryPassword) },
      }),
    );
    expect(signIn.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
  });

  it('resets a password to a new temporary one, and disables without the global sign-out cognito-local lacks', async () => {
    const username = newId();
    await cognito.directory.createUser({
      username,
      email: 'reset@example.com',
      firstName: 'Re',
      lastName: 'Set',
    });
    await cognito.directory.resetPassword({ username, email: 'reset@example.com' });
    const reset = cognito.outbox().filter((message) => message.Username === username);
    expect(reset.map((message) => message.Kind)).toEqual(['invitation', 'password-reset']);
    expect(reset[1]?.TemporaryPassword).not.toBe(reset[0]?.TemporaryPassword);

    await cognito.directory.disable(username);
    expect((await cognito.getUser(username))?.Enabled).toBe(false);
    await cognito.directory.enable(username);
    expect((await cognito.getUser(username))?.Enabled).toBe(true);
    await cognito.directory.deleteUser(username);
    await cognito.directory.deleteUser(username);
    expect(await cognito.getUser(username)).toBeUndefined();
  });
});

describe('temporaryPassword', () => {
  it('is 20 characters with upper, lower, digit and symbol, and differs each time', () => {
    const passwords = Array.from({ length: 50 }, () => temporaryPassword());
    for (const password of passwords) {
      expect(password).toHaveLength(20);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^A-Za-z0-9]/);
    }
    expect(new Set(passwords).size).toBe(passwords.length);
  });
});
