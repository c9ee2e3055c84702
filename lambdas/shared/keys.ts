/**
 * Every item's keys in staxid's single table, in one place, so that each domain
 * reads what another wrote under the same names. Attribute names come from
 * table-schema.ts; the values below are the access patterns:
 *
 * | item                 | PK                      | SK                | GSI1 (list by kind)         | GSI2 (inverse)                       |
 * |----------------------|-------------------------|-------------------|-----------------------------|--------------------------------------|
 * | user                 | USER#<id>               | USER              | USER / <email>              |                                      |
 * | group                | GROUP#<id>              | GROUP             | GROUP / <lower name>        |                                      |
 * | membership           | GROUP#<groupId>         | MEMBER#<userId>   |                             | USER#<userId> / GROUP#<groupId>      |
 * | account type         | ACCOUNTTYPE#<id>        | ACCOUNTTYPE       | ACCOUNTTYPE / <lower name>  |                                      |
 * | account              | ACCOUNT#<id>            | ACCOUNT           | ACCOUNT / <lower name>      | AWSACCOUNT#<awsId> / ACCOUNT         |
 * | API token            | APITOKEN#<accessKey>    | APITOKEN          | APITOKEN / <createdTs>      |                                      |
 * | task                 | TASK#<id>               | TASK              |                             |                                      |
 * | uniqueness guard     | UNIQUE#<kind>#<value>   | UNIQUE            |                             |                                      |
 * | permission set       | PERMSET#<id>            | PERMSET           | PERMSET / <lower name>      |                                      |
 * | PS name guard        | UNIQUE#PERMSETNAME#<lower name> | UNIQUE    |                             |                                      |
 * | PS assignment        | PERMSET#<psId>          | ASSIGNMENT#<id>   |                             | ACCOUNTTYPE#<typeId> / PSASSIGNMENT#<id> |
 * | PS deployment        | PERMSET#<psId>          | DEPLOYMENT#<assignmentId>#<awsAccountId> |      |                                      |
 * | SCIM token           | SCIMTOKEN#<id>          | SCIMTOKEN         | SCIMTOKEN / <createdTs>#<id> |                                     |
 * | SCIM token counter   | SCIMTOKENS              | COUNTER           |                             |                                      |
 * | federated identity   | UNIQUE#FEDERATED#<lower Cognito username> | UNIQUE  | → the staxid UserId (ADR 0016) |                  |
 * | audit outbox event   | AUDIT#<eventId>         | AUDIT             |                             |                                      |
 * | support grant        | SUPPORTGRANT#<id>       | SUPPORTGRANT      | SUPPORTGRANT / <createdTs>#<id> | USER#<userId> / SUPPORTGRANT#<id> |
 * | SAML certificates    | SAMLCERT                | SAMLCERT          |                             |                                      |
 *
 * An account type's access (`Roles`: group × role), its accounts (`Accounts`: ids) and a
 * summary of them (`AwsAccounts`: `{AccountId, AwsAccountId, Name, Status, AccountRole}`; `AccountRole` is absent in summaries written before 2026-12-01) are kept on
 * the account type item itself, updated in the same transaction as the items they name,
 * so that entitlements need only: every account type (one Query) and the caller's
 * memberships (one Query), in parallel.
 *
 * An audit outbox item holds one audit event until the table's stream has delivered it to the
 * Audit bucket (audit-outbox.ts, ADR 0010); it expires by `ttl`.
 *
 * A SCIM-provisioned user with an `externalId` also carries GSI2 `SCIMEXTERNALID#<value>` / `USER`,
 * so `externalId eq` is one Query (ADR 0015). An account type also carries `PermissionSetRoles`
 * (assignment id → `{AssignmentId, PermissionSetId, RoleName, GroupId, MaxSessionDuration}`) of
 * its live permission-set assignments, written in the assignment's transaction (ADR 0017); a
 * deployment item may carry `RequestedStatus` and `StatusReason` (ADR 0018).
 *
 * A support grant (lambdas/support/grant-items.ts) sits on its engineer's GSI2 partition beside
 * their memberships, so entitlements read both with one Query; it carries a `ttl`.
 *
 * The SAML certificates item holds `Certificates` (base64 DER, active key first) and `UpdatedAt`;
 * only the deploy-time SamlCertificate resource writes it, and the metadata route may read only it
 * (ADR 0011).
 *
 * A uniqueness guard holds the `Id` of the item that owns the value, so that a lookup by
 * name is one GetItem. Every writer of an item with a `Version` increments it.
 */

export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

export const ENTITY = {
  user: 'USER',
  group: 'GROUP',
  accountType: 'ACCOUNTTYPE',
  account: 'ACCOUNT',
  apiToken: 'APITOKEN',
  task: 'TASK',
} as const;

export type Entity = (typeof ENTITY)[keyof typeof ENTITY];

/** The primary key of the main item of an entity. */
export function entityKey(entity: Entity, id: string): ItemKey {
  return { PK: `${entity}#${id}`, SK: entity };
}

/** GSI1 attributes that list an entity's items, sorted by `sortKey`. */
export function listing(entity: Entity, sortKey: string): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: entity, GSI1SK: sortKey };
}

export function membershipKey(groupId: string, userId: string) {
  return {
    PK: `${ENTITY.group}#${groupId}`,
    SK: `MEMBER#${userId}`,
    GSI2PK: `${ENTITY.user}#${userId}`,
    GSI2SK: `${ENTITY.group}#${groupId}`,
  };
}

/** Guards that make a value unique across the table (emails, names): put with attribute_not_exists(PK). */
export type UniqueKind =
  | 'EMAIL'
  | 'GROUPNAME'
  | 'ACCOUNTTYPENAME'
  | 'AWSACCOUNT'
  | 'APITOKENNAME'
  | 'FEDERATED';

export function uniqueKey(kind: UniqueKind, value: string): ItemKey {
  return { PK: `UNIQUE#${kind}#${value.toLowerCase()}`, SK: 'UNIQUE' };
}
