/**
 * The user item and its API shapes. Other domains read and write user items (the
 * authorizer checks `Status`, sign-in triggers provision federated users and activate
 * invited ones, SCIM syncs users): they use these names.
 *
 * | attribute          | what                                                                                 |
 * |--------------------|--------------------------------------------------------------------------------------|
 * | PK, SK             | `entityKey(ENTITY.user, Id)`                                                         |
 * | GSI1PK, GSI1SK     | `listing(ENTITY.user, <lower-case Email>)`: every user, by email                     |
 * | Id                 | UUID; for local users also their Cognito username                                    |
 * | Email              | as given; unique (case-insensitive) through the guard `uniqueKey('EMAIL', Email)`    |
 * | FirstName/LastName | may be empty                                                                         |
 * | Role               | a UserRole                                                                           |
 * | Status             | ACTIVE, DISABLED, INVITED, NEW, DELETED (DELETED items stay, without email guard)   |
 * | AuthOrigin         | AUTH_ORIGIN: `idam` (local pool user), `sso` (SAML/OIDC, just in time), `scim`       |
 * | CognitoUsername    | the pool username: Id for local users; absent for a federated user never signed in  |
 * | InvitedTS          | when the current invitation was sent (INVITED users)                                 |
 * | InviteExpiresTS    | InvitedTS + 12 h: a sign-in after it is refused; ResendInvite issues a new one       |
 * | DisabledFromStatus | the Status before DISABLED, restored on re-activation (INVITED or ACTIVE)           |
 * | PasswordResetTS    | when an admin last reset the password (UpdateUserPassword)                           |
 * | Version            | incremented by EVERY write (condition `Version = :read`): no lost update           |
 * | CreatedBy, CreatedTS, ModifiedTS, UserTaskId, DeletedTS | as in the spec's User                           |
 *
 * The email guard item is `{ ...uniqueKey('EMAIL', Email), UserId }`; it is released when
 * the user is deleted, so the address can be invited again.
 */
import { ENTITY, entityKey, listing, uniqueKey } from '@/lambdas/shared/keys';
import { isUserRole, type UserRole } from '@/lambdas/shared/roles';

export const USER_STATUSES = ['ACTIVE', 'DISABLED', 'DELETED', 'INVITED', 'NEW'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Where a user signs in. `idam` is the Stax value for users of the service's own directory. */
export const AUTH_ORIGIN = {
  /** A user of the local Cognito pool (invited through CreateUser). ReadUsers `filter=Team`. */
  local: 'idam',
  /** Provisioned on first sign-in through a SAML or OIDC identity provider. ReadUsers `filter=Federated`. */
  sso: 'sso',
  /** Provisioned by an identity provider through SCIM. ReadUsers `filter=Federated`. */
  scim: 'scim',
} as const;

/** How long an invitation (the temporary password) may be used: Cognito's own minimum is a day. */
export const INVITATION_VALIDITY_MS = 12 * 60 * 60 * 1000;

/** The role CreateUser gives when the request names none: the least that can do any work. */
export const DEFAULT_USER_ROLE: UserRole = 'customer_user';

export interface UserRecord {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
  readonly Role: UserRole;
  readonly Status: UserStatus;
  readonly AuthOrigin: string;
  readonly CognitoUsername?: string;
  readonly CreatedBy?: string;
  readonly CreatedTS: string;
  readonly ModifiedTS: string;
  readonly UserTaskId?: string;
  readonly InvitedTS?: string;
  readonly InviteExpiresTS?: string;
  readonly DisabledFromStatus?: UserStatus;
  readonly PasswordResetTS?: string;
  readonly DeletedTS?: string;
  readonly Version: number;
}

export type Item = Record<string, unknown>;

export function userKey(id: string) {
  return entityKey(ENTITY.user, id);
}

export function emailGuardKey(email: string) {
  return uniqueKey('EMAIL', email);
}

/** The whole item of a user, keys included. */
export function userItem(user: UserRecord): Item {
  return { ...userKey(user.Id), ...listing(ENTITY.user, user.Email.toLowerCase()), ...user };
}

export function isLocalUser(user: Pick<UserRecord, 'AuthOrigin'>): boolean {
  return user.AuthOrigin === AUTH_ORIGIN.local;
}

/** The Cognito username of a user, if they have one. */
export function cognitoUsernameOf(user: UserRecord): string | undefined {
  return user.CognitoUsername ?? (isLocalUser(user) ? user.Id : undefined);
}

function text(item: Item, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' ? value : undefined;
}

function isStatus(value: unknown): value is UserStatus {
  return typeof value === 'string' && (USER_STATUSES as readonly string[]).includes(value);
}

/** Reads a user item; undefined for anything that is not one. */
export function parseUserItem(item: Item | undefined): UserRecord | undefined {
  if (!item) return undefined;
  const id = text(item, 'Id');
  const email = text(item, 'Email');
  const role = text(item, 'Role');
  const status = item.Status;
  if (id === undefined || email === undefined || role === undefined || !isUserRole(role) || !isStatus(status))
    return undefined;
  const createdTs = text(item, 'CreatedTS') ?? new Date(0).toISOString();
  const optional = (name: keyof UserRecord) => {
    const value = text(item, name);
    return value === undefined ? {} : { [name]: value };
  };
  const disabledFrom = item.DisabledFromStatus;
  return {
    Id: id,
    Email: email,
    FirstName: text(item, 'FirstName') ?? '',
    LastName: text(item, 'LastName') ?? '',
    Role: role,
    Status: status,
    AuthOrigin: text(item, 'AuthOrigin') ?? AUTH_ORIGIN.local,
    CreatedTS: createdTs,
    ModifiedTS: text(item, 'ModifiedTS') ?? createdTs,
    Version: typeof item.Version === 'number' ? item.Version : 0,
    ...optional('CognitoUsername'),
    ...optional('CreatedBy'),
    ...optional('UserTaskId'),
    ...optional('InvitedTS'),
    ...optional('InviteExpiresTS'),
    ...optional('PasswordResetTS'),
    ...optional('DeletedTS'),
    ...(isStatus(disabledFrom) && { DisabledFromStatus: disabledFrom }),
  };
}

const NAME_MIN = 3;
const NAME_MAX = 128;

/** The spec's `Name`: first and last name, or the email when they make less than 3 characters; at most 128. */
export function displayName(user: Pick<UserRecord, 'FirstName' | 'LastName' | 'Email'>): string {
  const joined = [user.FirstName.trim(), user.LastName.trim()].filter((part) => part !== '').join(' ');
  const name = joined.length >= NAME_MIN ? joined : user.Email;
  return name.length > NAME_MAX ? name.slice(0, NAME_MAX) : name;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The spec's `User`. */
export function toApiUser(user: UserRecord, organisationId: string) {
  return {
    Id: user.Id,
    Email: user.Email,
    Name: displayName(user),
    FirstName: user.FirstName,
    LastName: user.LastName,
    Role: user.Role,
    Status: user.Status,
    AuthOrigin: user.AuthOrigin,
    OrganisationId: organisationId,
    CustomerId: organisationId,
    // CreatedBy is a UUID in the spec: a user id, or an API token's id when it is one.
    ...(user.CreatedBy !== undefined && UUID.test(user.CreatedBy) && { CreatedBy: user.CreatedBy }),
    CreatedTS: user.CreatedTS,
    ModifiedTS: user.ModifiedTS,
    ...(user.UserTaskId !== undefined && { UserTaskId: user.UserTaskId }),
  };
}

/** The deprecated IDAM shape (`IdamUser`), as Stax's former Keycloak-based IDAM reported users. */
export function toIdamUser(user: UserRecord, organisationId: string) {
  return {
    id: user.Id,
    email: user.Email,
    firstName: user.FirstName,
    lastName: user.LastName,
    enabled: user.Status !== 'DISABLED' && user.Status !== 'DELETED',
    // The address is verified once the user has signed in with the invitation sent to it.
    emailVerified: user.Status !== 'INVITED',
    createdTimestamp: Date.parse(user.CreatedTS),
    customerId: organisationId,
    organisationId,
    role: user.Role,
    requiredActions: user.Status === 'INVITED' ? ['UPDATE_PASSWORD'] : [],
  };
}

/** The spec's task envelope (`teams.CreateUserEvent`, `teams.UpdateUserEvent`): the work is already done. */
export function taskEnvelope(input: {
  taskId: string;
  operation: string;
  message: string;
  customerId: string;
}) {
  return {
    TaskId: input.taskId,
    CustomerId: input.customerId,
    DetailType: 'Task Status Change',
    Detail: { Operation: input.operation, OperationStatus: 'SUCCEEDED', Message: input.message },
  };
}

/** The envelope of operations without a task (`teams.UpdateUserInviteEvent`, `teams.UpdateUserPasswordEvent`). */
export function detailEnvelope(input: { operation: string; message: string }) {
  return {
    DetailType: 'Task Status Change',
    Detail: { Operation: input.operation, OperationStatus: 'SUCCEEDED', Message: input.message },
  };
}
