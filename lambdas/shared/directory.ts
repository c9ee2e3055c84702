/**
 * The user directory: where people's sign-in identities live. In AWS it is the Cognito
 * user pool; locally it is cognito-local, the same code against another endpoint (the
 * SDK's `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`).
 *
 * Conventions other domains rely on:
 * - The Cognito username of a local user IS the staxid user id (a UUID); the email is an
 *   attribute (`email`, `email_verified = true`), so the pool signs in by the email alias.
 * - Federated users have the username Cognito gave them (`<provider>_<subject>`); the
 *   user item records it as `CognitoUsername`.
 *
 * Mail: in AWS, Cognito generates temporary passwords and emails invitations and reset
 * codes itself; staxid never sees a password. cognito-local sends no mail, so in local
 * mode (an `Outbox` is given) staxid generates the temporary password, hands it to Cognito
 * (`TemporaryPassword` / `AdminSetUserPassword`), and writes the message Cognito would have
 * sent to the outbox. The domain code calling this port is the same in both.
 */
import { randomInt } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  AliasExistsException,
  type AttributeType,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { OUTBOX_DIR_ENV, USER_POOL_ID_ENV } from '@/lambdas/shared/constants';
import { ConflictError, ValidationError } from '@/lambdas/shared/errors';
import { newId } from '@/lambdas/shared/ids';

export interface DirectoryUser {
  /** The Cognito username: the staxid user id for local users. */
  readonly username: string;
  readonly email: string;
}

export interface NewDirectoryUser extends DirectoryUser {
  readonly firstName: string;
  readonly lastName: string;
}

/** Attributes to change; an absent one is left alone, an empty name is removed. */
export interface DirectoryAttributes {
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
}

/** The user directory as domain code sees it. Every method is safe to call again after a failure. */
export interface UserDirectory {
  /** Creates the user with a temporary password and sends the invitation. */
  createUser(user: NewDirectoryUser): Promise<void>;
  /** Issues a new temporary password and sends the invitation again (the user has not signed in yet). */
  resendInvitation(user: DirectoryUser): Promise<void>;
  /** Makes the user choose a new password, and tells them how. */
  resetPassword(user: DirectoryUser): Promise<void>;
  /** Refuses the user's sign-ins and revokes their refresh tokens (global sign-out). A missing user is ignored. */
  disable(username: string): Promise<void>;
  enable(username: string): Promise<void>;
  /** Removes the user; a user already gone is not an error. */
  deleteUser(username: string): Promise<void>;
  updateAttributes(username: string, attributes: DirectoryAttributes): Promise<void>;
}

// ---- local outbox --------------------------------------------------------------------------

/** A message staxid delivered locally instead of Cognito (`$STAXID_HOME/outbox/<MessageId>.json`). */
export interface OutboxMessage {
  readonly MessageId: string;
  readonly Kind: 'invitation' | 'password-reset';
  readonly To: string;
  readonly Subject: string;
  readonly Body: string;
  readonly TemporaryPassword: string;
  /** The recipient's Cognito username (their staxid user id). */
  readonly Username: string;
  readonly SentTS: string;
}

/** Writes messages as files, readable by the owner only (they carry a temporary password). */
export class Outbox {
  constructor(readonly directory: string) {}

  async deliver(message: Omit<OutboxMessage, 'MessageId' | 'SentTS'>): Promise<OutboxMessage> {
    const full: OutboxMessage = { MessageId: newId(), ...message, SentTS: new Date().toISOString() };
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const file = join(this.directory, `${full.MessageId}.json`);
    const temporary = `${file}.tmp`;
    await writeFile(temporary, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
    return full;
  }
}

const CHARACTER_CLASSES = [
  'ABCDEFGHJKLMNPQRSTUVWXYZ',
  'abcdefghijkmnopqrstuvwxyz',
  '23456789',
  '!#$%&*+-=?@^_',
] as const;

/**
 * A temporary password from a CSPRNG: 20 characters with at least one of each class, so that
 * it meets the pool's policy (14+ characters, upper, lower, digit, symbol).
 */
export function temporaryPassword(length = 20): string {
  const all = CHARACTER_CLASSES.join('');
  const pick = (alphabet: string): string => alphabet.charAt(randomInt(alphabet.length));
  const characters = CHARACTER_CLASSES.map(pick);
  while (characters.length < length) characters.push(pick(all));
  for (let index = characters.length - 1; index > 0; index--) {
    const other = randomInt(index + 1);
    const swap = characters[index] ?? '';
    characters[index] = characters[other] ?? '';
    characters[other] = swap;
  }
  return characters.join('');
}

// ---- Cognito -------------------------------------------------------------------------------

export interface CognitoUserDirectoryOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  /**
   * Local mode (cognito-local): staxid sets temporary passwords itself and writes the mail
   * to this outbox. cognito-local also lacks AdminUserGlobalSignOut: disabling skips it there
   * (the authorizer refuses a DISABLED user's API calls either way).
   * @default Cognito generates and emails temporary passwords and codes (AWS)
   */
  readonly outbox?: Outbox;
}

export class CognitoUserDirectory implements UserDirectory {
  private readonly client: CognitoIdentityProviderClient;
  private readonly userPoolId: string;
  private readonly outbox: Outbox | undefined;

  constructor(options: CognitoUserDirectoryOptions) {
    this.client = options.client;
    this.userPoolId = options.userPoolId;
    this.outbox = options.outbox;
  }

  async createUser(user: NewDirectoryUser): Promise<void> {
    const attributes: AttributeType[] = [
      { Name: 'email', Value: user.email },
      { Name: 'email_verified', Value: 'true' },
      ...nameAttributes(user),
    ];
    const password = this.outbox ? temporaryPassword() : undefined;
    try {
      await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: user.username,
          UserAttributes: attributes,
          DesiredDeliveryMediums: ['EMAIL'],
          ...(password !== undefined && { TemporaryPassword: password, MessageAction: 'SUPPRESS' }),
        }),
      );
    } catch (error) {
      throw refusedValues(error, user.email);
    }
    if (password !== undefined) await this.deliverLocally('invitation', user, password);
  }

  async resendInvitation(user: DirectoryUser): Promise<void> {
    if (this.outbox) {
      const password = temporaryPassword();
      await this.setTemporaryPassword(user.username, password);
      await this.deliverLocally('invitation', user, password);
      return;
    }
    await this.client.send(
      new AdminCreateUserCommand({
        UserPoolId: this.userPoolId,
        Username: user.username,
        MessageAction: 'RESEND',
        DesiredDeliveryMediums: ['EMAIL'],
      }),
    );
  }

  async resetPassword(user: DirectoryUser): Promise<void> {
    if (this.outbox) {
      const password = temporaryPassword();
      await this.setTemporaryPassword(user.username, password);
      await this.deliverLocally('password-reset', user, password);
      return;
    }
    await this.client.send(
      new AdminResetUserPasswordCommand({ UserPoolId: this.userPoolId, Username: user.username }),
    );
  }

  async disable(username: string): Promise<void> {
    await ignoreMissingUser(
      this.client.send(new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: username })),
    );
    if (this.outbox) return;
    await ignoreMissingUser(
      this.client.send(
        new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: username }),
      ),
    );
  }

  async enable(username: string): Promise<void> {
    await this.client.send(new AdminEnableUserCommand({ UserPoolId: this.userPoolId, Username: username }));
  }

  async deleteUser(username: string): Promise<void> {
    await ignoreMissingUser(
      this.client.send(new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: username })),
    );
  }

  async updateAttributes(username: string, attributes: DirectoryAttributes): Promise<void> {
    const set: AttributeType[] = [];
    const remove: string[] = [];
    if (attributes.email !== undefined) {
      set.push({ Name: 'email', Value: attributes.email }, { Name: 'email_verified', Value: 'true' });
    }
    for (const [name, value] of [
      ['given_name', attributes.firstName],
      ['family_name', attributes.lastName],
    ] as const) {
      if (value === undefined) continue;
      if (value === '') remove.push(name);
      else set.push({ Name: name, Value: value });
    }
    if (set.length > 0) {
      try {
        await this.client.send(
          new AdminUpdateUserAttributesCommand({
            UserPoolId: this.userPoolId,
            Username: username,
            UserAttributes: set,
          }),
        );
      } catch (error) {
        throw refusedValues(error, attributes.email ?? '');
      }
    }
    if (remove.length > 0) {
      await this.client.send(
        new AdminDeleteUserAttributesCommand({
          UserPoolId: this.userPoolId,
          Username: username,
          UserAttributeNames: remove,
        }),
      );
    }
  }

  private async setTemporaryPassword(username: string, password: string): Promise<void> {
    await this.client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: this.userPoolId,
        Username: username,
        Password: password,
        Permanent: false,
      }),
    );
  }

  private async deliverLocally(
    kind: OutboxMessage['Kind'],
    user: DirectoryUser,
    password: string,
  ): Promise<void> {
    if (!this.outbox) return;
    const invitation = kind === 'invitation';
    await this.outbox.deliver({
      Kind: kind,
      To: user.email,
      Subject: invitation ? 'Your staxid invitation' : 'Your staxid password was reset',
      Body: invitation
        ? 'You have been invited to staxid. Sign in within 12 hours with your email address and the temporary password below, then choose your own password.'
        : 'An administrator reset your staxid password. Sign in with your email address and the temporary password below, then choose a new password.',
      TemporaryPassword: password,
      Username: user.username,
    });
  }
}

function nameAttributes(user: { firstName: string; lastName: string }): AttributeType[] {
  return [
    ...(user.firstName !== '' ? [{ Name: 'given_name', Value: user.firstName }] : []),
    ...(user.lastName !== '' ? [{ Name: 'family_name', Value: user.lastName }] : []),
  ];
}

async function ignoreMissingUser(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof UserNotFoundException)) throw error;
  }
}

/**
 * Errors that are the request's fault, as domain errors: another pool user already signs in
 * with the address (the table's email guard should have caught it), or Cognito refuses a
 * value the spec allows (e.g. an address its own check finds malformed).
 */
function refusedValues(error: unknown, email: string): unknown {
  if (error instanceof AliasExistsException) {
    return new ConflictError(
      `Email ${JSON.stringify(email)} is already used by another user of the user pool: use another address`,
    );
  }
  if (error instanceof InvalidParameterException) {
    return new ValidationError('Body', `the user directory refused a value: ${error.message}`);
  }
  return error;
}

// ---- wiring --------------------------------------------------------------------------------

let client: CognitoIdentityProviderClient | undefined;
let shared: UserDirectory | undefined;

/**
 * The directory this function was deployed with: USER_POOL_ID_ENV, plus OUTBOX_DIR_ENV in
 * local mode. Built on first use and kept for the life of the container.
 */
export function directoryFromEnv(env: NodeJS.ProcessEnv = process.env): UserDirectory {
  if (shared) return shared;
  const userPoolId = env[USER_POOL_ID_ENV];
  if (!userPoolId) throw new Error(`environment variable ${USER_POOL_ID_ENV} is not set`);
  const outboxDir = env[OUTBOX_DIR_ENV];
  client ??= new CognitoIdentityProviderClient({});
  shared = new CognitoUserDirectory({
    client,
    userPoolId,
    ...(outboxDir && { outbox: new Outbox(outboxDir) }),
  });
  return shared;
}
