import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { accountTypeFromItem } from '@/lambdas/accounts/account-items';
import { groupFromItem, groupIdByName } from '@/lambdas/groups/group-items';
import { auditEvent } from '@/lambdas/shared/audit';
import type { Db } from '@/lambdas/shared/db';
import type { ReadDeps, ServiceDeps } from '@/lambdas/shared/deps';
import {
  ConcurrentModificationError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '@/lambdas/shared/errors';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey, membershipKey, uniqueKey } from '@/lambdas/shared/keys';
import { errorFields } from '@/lambdas/shared/logger';
import type { Caller, OperationId } from '@/lambdas/shared/permissions';
import { hasLevel } from '@/lambdas/shared/roles';
import { getMany, type Item, queryAll, stringAttr, versionCondition } from '@/lambdas/shared/store';
import type { CreateGrantInput } from '@/lambdas/support/grant-input';
import {
  GRANT_OF_USER_PREFIX,
  grantFromItem,
  grantItem,
  grantKey,
  grantTtl,
  type StoredGrant,
  SUPPORT_GRANT_ENTITY,
  statusAt,
} from '@/lambdas/support/grant-items';
import { findUser } from '@/lambdas/users/user-queries';

/**
 * Support access (ARCHITECTURE §2.6): a support engineer — a member of the configured
 * support group, a LOCAL group (SCIM cannot decide who the engineers are) — asks for a grant
 * naming a support case; an Admin user other than the engineer and the requester approves it
 * (four eyes: a person, never an API token), which opens a window of at most 72 hours on
 * the accounts in scope, in one built-in role. An Admin may revoke it at any time; it
 * expires by itself (entitlements ignore it once its window has ended). Every change is an
 * audit event written before the change; every use is audited by the sign-in route.
 */

export interface SupportDeps extends ServiceDeps {
  /** The name of the support group (`STAXID_SUPPORT_GROUP_NAME`); without it nobody is a support engineer. */
  readonly supportGroupName?: string;
}

export interface RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
}

/** support.CreateSupportAccessGrant: a PENDING grant for a support engineer. */
export async function createGrant(deps: SupportDeps, context: RequestContext, input: CreateGrantInput) {
  const { userId, supportGroupId } = await granteeOf(deps, context.caller, input.userId);
  const scope = await resolveScope(deps.db, input);
  const now = deps.clock.now().toISOString();
  const grant: StoredGrant = {
    id: newId(),
    userId,
    supportGroupId,
    requestedBy: context.caller.id,
    caseReference: input.caseReference,
    scope,
    roleName: input.roleName,
    durationHours: input.durationHours,
    ...(input.reason && { reason: input.reason }),
    status: 'PENDING',
    createdTs: now,
    modifiedTs: now,
    version: 1,
  };
  await auditedWrite(deps, context, 'support.CreateSupportAccessGrant', grant, undefined);
  return grantResponse(grant, deps.clock.now());
}

/** support.ApproveSupportAccessGrant: PENDING → ACTIVE, the window starting now; optionally another built-in role. */
export async function approveGrant(
  deps: SupportDeps,
  context: RequestContext,
  grantId: string,
  change: { readonly roleName?: string },
) {
  const { caller } = context;
  if (caller.kind !== 'user') {
    throw new ForbiddenError('four eyes: a person (an Admin user) approves support access, not an API token');
  }
  const grant = await getGrant(deps.db, grantId);
  const now = deps.clock.now();
  const status = statusAt(grant, now);
  if (status !== 'PENDING') {
    throw new ConflictError(
      `support access grant ${JSON.stringify(grantId)} is ${status}: only a PENDING grant can be approved`,
    );
  }
  if (caller.id === grant.userId || (await requestersOf(deps.db, grant)).includes(caller.id)) {
    throw new ForbiddenError(
      'four eyes: a support access grant is approved by an Admin who is neither the engineer it is for nor its requester',
    );
  }
  const approved: StoredGrant = {
    ...grant,
    status: 'ACTIVE',
    roleName: change.roleName ?? grant.roleName,
    approvedBy: caller.id,
    startsAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + grant.durationHours * 3600 * 1000).toISOString(),
    modifiedTs: now.toISOString(),
    version: grant.version + 1,
  };
  await auditedWrite(deps, context, 'support.ApproveSupportAccessGrant', approved, grant.version);
  return grantResponse(approved, now);
}

/**
 * Who asked for the grant: its requester and, when an API token asked, the person who created
 * that token — so that an Admin cannot approve, as themself, what they asked for through a token.
 */
async function requestersOf(db: Db, grant: StoredGrant): Promise<string[]> {
  const token = await getConsistent(db, entityKey(ENTITY.apiToken, grant.requestedBy));
  const tokenCreator = token && stringAttr(token, 'CreatedBy');
  return tokenCreator ? [grant.requestedBy, tokenCreator] : [grant.requestedBy];
}

/** support.RevokeSupportAccessGrant: a PENDING or ACTIVE grant ends at once. */
export async function revokeGrant(deps: SupportDeps, context: RequestContext, grantId: string) {
  const grant = await getGrant(deps.db, grantId);
  const now = deps.clock.now();
  const status = statusAt(grant, now);
  if (status !== 'PENDING' && status !== 'ACTIVE') {
    throw new ConflictError(
      `support access grant ${JSON.stringify(grantId)} is ${status}: there is nothing to revoke`,
    );
  }
  const revoked: StoredGrant = {
    ...grant,
    status: 'REVOKED',
    revokedBy: context.caller.id,
    revokedTs: now.toISOString(),
    modifiedTs: now.toISOString(),
    version: grant.version + 1,
  };
  await auditedWrite(deps, context, 'support.RevokeSupportAccessGrant', revoked, grant.version);
  return grantResponse(revoked, now);
}

/** support.ReadSupportAccessGrants: an Admin reads every grant; anyone else, the grants that are for them. */
export async function readGrants(deps: ReadDeps, caller: Caller) {
  const items = isAdmin(caller)
    ? await queryAll(deps.db, {
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :kind',
        ExpressionAttributeValues: { ':kind': SUPPORT_GRANT_ENTITY },
      })
    : caller.kind === 'user'
      ? await queryAll(deps.db, {
          IndexName: 'GSI2',
          KeyConditionExpression: 'GSI2PK = :user AND begins_with(GSI2SK, :grant)',
          ExpressionAttributeValues: {
            ':user': `${ENTITY.user}#${caller.id}`,
            ':grant': GRANT_OF_USER_PREFIX,
          },
        })
      : [];
  const now = deps.clock.now();
  const grants = items.map(grantFromItem).sort((a, b) => compareNewestFirst(a, b));
  return { SupportAccessGrants: grants.map((grant) => grantResponse(grant, now)) };
}

/** support.ReadSupportAccessGrant: one grant; 404 to a non-Admin it is not for, as if it did not exist. */
export async function readGrant(deps: ReadDeps, caller: Caller, grantId: string) {
  const grant = await getGrant(deps.db, grantId);
  if (!isAdmin(caller) && !(caller.kind === 'user' && caller.id === grant.userId)) {
    throw new NotFoundError('Support access grant', grantId);
  }
  return { SupportAccessGrants: [grantResponse(grant, deps.clock.now())] };
}

function compareNewestFirst(a: StoredGrant, b: StoredGrant): number {
  return a.createdTs < b.createdTs ? 1 : a.createdTs > b.createdTs ? -1 : a.id < b.id ? -1 : 1;
}

function isAdmin(caller: Caller): boolean {
  return hasLevel(caller.role, 'admin');
}

/**
 * The engineer a new grant is for, and the support group that makes them one. A support
 * engineer asks for themself; an Admin names them in `UserId`. Either way they must be an
 * ACTIVE member of the support group.
 */
async function granteeOf(
  deps: SupportDeps,
  caller: Caller,
  requested: string | undefined,
): Promise<{ userId: string; supportGroupId: string }> {
  if (!isAdmin(caller)) {
    if (caller.kind !== 'user' || (requested !== undefined && requested !== caller.id)) {
      throw new ForbiddenError(
        'only a support engineer asks for support access, for themself; an Admin may ask on behalf of one (UserId)',
      );
    }
    const supportGroupId = await supportGroupOf(deps, caller.id);
    if (!supportGroupId)
      throw new ForbiddenError('only members of the support group may ask for support access');
    return { userId: caller.id, supportGroupId };
  }
  const userId = requested ?? (caller.kind === 'user' ? caller.id : undefined);
  if (userId === undefined) {
    throw new ValidationError(
      'Body.UserId',
      'is required when an API token asks: the support engineer the grant is for',
    );
  }
  const supportGroupId = await supportGroupOf(deps, userId);
  if (!supportGroupId)
    throw new ValidationError('Body.UserId', 'must be an ACTIVE member of the support group');
  return { userId, supportGroupId };
}

/**
 * The support group's id when the user is ACTIVE and one of its members; otherwise undefined.
 * Only a LOCAL group of that name counts: a SCIM client could create a group of any name and
 * so decide who the support engineers are.
 */
async function supportGroupOf(deps: SupportDeps, userId: string): Promise<string | undefined> {
  if (!deps.supportGroupName) return undefined;
  const [groupId, user] = await Promise.all([
    groupIdByName(deps.db, deps.supportGroupName),
    findUser(deps.db, userId),
  ]);
  if (!groupId || user?.Status !== 'ACTIVE') return undefined;
  const [group, membership] = await Promise.all([
    getConsistent(deps.db, entityKey(ENTITY.group, groupId)),
    getConsistent(deps.db, membershipKey(groupId, userId)),
  ]);
  return group && groupFromItem(group).groupType === 'LOCAL' && membership ? groupId : undefined;
}

async function getConsistent(db: Db, key: { PK: string; SK: string }): Promise<Item | undefined> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: { PK: key.PK, SK: key.SK }, ConsistentRead: true }),
  );
  return item;
}

/**
 * The scope with every account as its Stax id: 12-digit ids through their AWS account
 * guard, every id checked to exist (one BatchGet). An unknown id is a 400 naming it.
 */
async function resolveScope(db: Db, input: CreateGrantInput) {
  const accountKey = (id: string) =>
    isUuid(id) ? entityKey(ENTITY.account, id) : uniqueKey('AWSACCOUNT', id);
  const items = await getMany(db, [
    ...input.accountIds.map(accountKey),
    ...input.accountTypeIds.map((id) => entityKey(ENTITY.accountType, id)),
  ]);
  const found = new Map(items.map((item) => [`${String(item.PK)}|${String(item.SK)}`, item]));
  const lookup = (key: { PK: string; SK: string }): Item | undefined => found.get(`${key.PK}|${key.SK}`);
  const accountIds = input.accountIds.map((id, index) => {
    const item = lookup(accountKey(id));
    const accountId = item && (isUuid(id) ? id : stringAttr(item, 'Id'));
    if (!accountId) {
      throw new ValidationError(
        `Body.Scope.AccountIds[${index}]`,
        `no account ${JSON.stringify(id)}: use an id from GET /20190206/accounts`,
      );
    }
    return accountId;
  });
  const accountTypeIds = input.accountTypeIds.map((id, index) => {
    const item = lookup(entityKey(ENTITY.accountType, id));
    if (!item) {
      throw new ValidationError(
        `Body.Scope.AccountTypeIds[${index}]`,
        `no account type ${JSON.stringify(id)}: use an id from GET /20190206/account-types`,
      );
    }
    return accountTypeFromItem(item).id;
  });
  return { accountIds: [...new Set(accountIds)], accountTypeIds };
}

async function getGrant(db: Db, grantId: string): Promise<StoredGrant> {
  const { Item: item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: grantKey(grantId), ConsistentRead: true }),
  );
  if (!item) throw new NotFoundError('Support access grant', grantId);
  return grantFromItem(item);
}

/**
 * "No audit event, no change": the event goes out first; then the grant is written under a
 * condition — that it is new, or still at the version it was read with. A lost race is a 409
 * and a FAILURE event.
 */
async function auditedWrite(
  deps: SupportDeps,
  context: RequestContext,
  type: OperationId,
  grant: StoredGrant,
  expectedVersion: number | undefined,
): Promise<void> {
  const intent = auditEvent({
    type,
    actor: context.caller,
    targets: [
      { type: 'support-access-grant', id: grant.id },
      { type: 'user', id: grant.userId },
    ],
    detail: auditDetail(grant),
    requestId: context.requestId,
    time: deps.clock.now(),
  });
  await deps.audit.write(intent);
  const condition = expectedVersion === undefined ? undefined : versionCondition(expectedVersion);
  try {
    await deps.db.doc.send(
      new PutCommand({
        TableName: deps.db.tableName,
        Item: grantItem(grant, grantTtl(grant)),
        ConditionExpression: condition?.expression ?? 'attribute_not_exists(PK)',
        ...(condition && {
          ExpressionAttributeNames: condition.names,
          ExpressionAttributeValues: condition.values,
        }),
      }),
    );
  } catch (error) {
    await auditFailure(deps, context, type, intent.eventId, error);
    if (error instanceof ConditionalCheckFailedException) {
      throw new ConcurrentModificationError('Support access grant', grant.id);
    }
    throw error;
  }
}

function auditDetail(grant: StoredGrant) {
  return {
    caseReference: grant.caseReference,
    status: grant.status,
    scope: { accountIds: grant.scope.accountIds, accountTypeIds: grant.scope.accountTypeIds },
    roleName: grant.roleName,
    durationHours: grant.durationHours,
    requestedBy: grant.requestedBy,
    ...(grant.approvedBy && { approvedBy: grant.approvedBy }),
    ...(grant.startsAt && { startsAt: grant.startsAt }),
    ...(grant.expiresAt && { expiresAt: grant.expiresAt }),
    ...(grant.revokedBy && { revokedBy: grant.revokedBy }),
  };
}

async function auditFailure(
  deps: SupportDeps,
  context: RequestContext,
  type: OperationId,
  intentEventId: string,
  error: unknown,
): Promise<void> {
  try {
    await deps.audit.write(
      auditEvent({
        type,
        actor: context.caller,
        outcome: 'FAILURE',
        detail: { intentEventId, reason: error instanceof Error ? error.name : 'unknown' },
        requestId: context.requestId,
        time: deps.clock.now(),
      }),
    );
  } catch (auditError) {
    deps.logger.error('could not write the FAILURE audit event of a support access change', {
      requestId: context.requestId,
      ...errorFields(auditError),
    });
  }
}

/** A grant as the API shows it; `Status` is EXPIRED once its time has passed. */
export function grantResponse(grant: StoredGrant, now: Date) {
  return {
    Id: grant.id,
    UserId: grant.userId,
    RequestedBy: grant.requestedBy,
    CaseReference: grant.caseReference,
    Scope: { AccountIds: grant.scope.accountIds, AccountTypeIds: grant.scope.accountTypeIds },
    RoleName: grant.roleName,
    DurationHours: grant.durationHours,
    ...(grant.reason && { Reason: grant.reason }),
    Status: statusAt(grant, now),
    CreatedTS: grant.createdTs,
    ModifiedTS: grant.modifiedTs,
    ...(grant.approvedBy && { ApprovedBy: grant.approvedBy }),
    ...(grant.startsAt && { StartsAt: grant.startsAt }),
    ...(grant.expiresAt && { ExpiresAt: grant.expiresAt }),
    ...(grant.revokedBy && { RevokedBy: grant.revokedBy }),
    ...(grant.revokedTs && { RevokedTS: grant.revokedTs }),
  };
}
