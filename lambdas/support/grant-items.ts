import { ENTITY, type ItemKey } from '@/lambdas/shared/keys';
import { type Item, numberAttr, stringAttr, stringListAttr } from '@/lambdas/shared/store';

/**
 * Support-access grants in the single table (lambdas/shared/keys.ts conventions):
 *
 * | item          | PK                   | SK            | GSI1 (list)                       | GSI2 (inverse)                         |
 * |---------------|----------------------|---------------|-----------------------------------|----------------------------------------|
 * | support grant | SUPPORTGRANT#<id>    | SUPPORTGRANT  | SUPPORTGRANT / <createdTs>#<id>   | USER#<granteeId> / SUPPORTGRANT#<id>   |
 *
 * The GSI2 row puts a user's grants beside their memberships (`USER#<id>` / `GROUP#<id>`), so
 * entitlements read both with the one Query they already make. Every change bumps `Version`
 * under a condition on the old one; `ttl` lets DynamoDB drop the item some days after the
 * grant can no longer be used (the audit events keep the trail).
 */

/** The entity prefix of support grants (not in keys.ts ENTITY: the support domain owns it). */
export const SUPPORT_GRANT_ENTITY = 'SUPPORTGRANT';

/** What is stored. `EXPIRED` is never stored: it is an ACTIVE or PENDING grant whose time has passed. */
export type StoredGrantStatus = 'PENDING' | 'ACTIVE' | 'REVOKED';

export type GrantStatus = StoredGrantStatus | 'EXPIRED';

export interface GrantScope {
  /** Stax account ids (12-digit ids are resolved to them when the grant is created). */
  readonly accountIds: readonly string[];
  readonly accountTypeIds: readonly string[];
}

export interface StoredGrant {
  readonly id: string;
  /** The support engineer the grant is for. */
  readonly userId: string;
  /**
   * The support group that made them a support engineer: the grant holds only while they are
   * still a member (entitlements read the memberships anyway).
   */
  readonly supportGroupId: string;
  /** Who asked: the engineer, or an Admin on their behalf. */
  readonly requestedBy: string;
  readonly caseReference: string;
  readonly scope: GrantScope;
  /** The IAM role name (a built-in role). */
  readonly roleName: string;
  readonly durationHours: number;
  readonly reason?: string;
  readonly status: StoredGrantStatus;
  readonly createdTs: string;
  readonly modifiedTs: string;
  readonly approvedBy?: string;
  /** Start of the window: the approval. */
  readonly startsAt?: string;
  /** End of the window (exclusive): approval + DurationHours. */
  readonly expiresAt?: string;
  readonly revokedBy?: string;
  readonly revokedTs?: string;
  readonly version: number;
}

export function grantKey(id: string): ItemKey {
  return { PK: `${SUPPORT_GRANT_ENTITY}#${id}`, SK: SUPPORT_GRANT_ENTITY };
}

/** The GSI2 sort-key prefix under `USER#<id>` that marks a support grant. */
export const GRANT_OF_USER_PREFIX = `${SUPPORT_GRANT_ENTITY}#`;

/** The whole item of a grant, `ttl` included. */
export function grantItem(grant: StoredGrant, ttl: number): Item {
  return {
    ...grantKey(grant.id),
    GSI1PK: SUPPORT_GRANT_ENTITY,
    GSI1SK: `${grant.createdTs}#${grant.id}`,
    GSI2PK: `${ENTITY.user}#${grant.userId}`,
    GSI2SK: `${GRANT_OF_USER_PREFIX}${grant.id}`,
    Id: grant.id,
    UserId: grant.userId,
    SupportGroupId: grant.supportGroupId,
    RequestedBy: grant.requestedBy,
    CaseReference: grant.caseReference,
    ScopeAccountIds: grant.scope.accountIds,
    ScopeAccountTypeIds: grant.scope.accountTypeIds,
    RoleName: grant.roleName,
    DurationHours: grant.durationHours,
    Reason: grant.reason,
    Status: grant.status,
    CreatedTS: grant.createdTs,
    ModifiedTS: grant.modifiedTs,
    ApprovedBy: grant.approvedBy,
    StartsAt: grant.startsAt,
    ExpiresAt: grant.expiresAt,
    RevokedBy: grant.revokedBy,
    RevokedTS: grant.revokedTs,
    Version: grant.version,
    ttl,
  };
}

function storedStatus(value: unknown): StoredGrantStatus {
  return value === 'ACTIVE' || value === 'REVOKED' ? value : 'PENDING';
}

export function grantFromItem(item: Item): StoredGrant {
  const optional = (name: string) => stringAttr(item, name);
  const reason = optional('Reason');
  const approvedBy = optional('ApprovedBy');
  const startsAt = optional('StartsAt');
  const expiresAt = optional('ExpiresAt');
  const revokedBy = optional('RevokedBy');
  const revokedTs = optional('RevokedTS');
  return {
    id: optional('Id') ?? String(item.PK).slice(`${SUPPORT_GRANT_ENTITY}#`.length),
    userId: optional('UserId') ?? '',
    supportGroupId: optional('SupportGroupId') ?? '',
    requestedBy: optional('RequestedBy') ?? '',
    caseReference: optional('CaseReference') ?? '',
    scope: {
      accountIds: stringListAttr(item, 'ScopeAccountIds'),
      accountTypeIds: stringListAttr(item, 'ScopeAccountTypeIds'),
    },
    roleName: optional('RoleName') ?? '',
    durationHours: numberAttr(item, 'DurationHours') ?? 0,
    ...(reason && { reason }),
    status: storedStatus(item.Status),
    createdTs: optional('CreatedTS') ?? '',
    modifiedTs: optional('ModifiedTS') ?? '',
    ...(approvedBy && { approvedBy }),
    ...(startsAt && { startsAt }),
    ...(expiresAt && { expiresAt }),
    ...(revokedBy && { revokedBy }),
    ...(revokedTs && { revokedTs }),
    version: numberAttr(item, 'Version') ?? 0,
  };
}

/** How long a request may wait for an Admin before it lapses (reads report it EXPIRED). */
export const PENDING_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/** How long an unusable grant stays in the table before its `ttl` lets DynamoDB delete it. */
export const RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The status a reader sees at `now`: stored ACTIVE/PENDING grants whose time has passed are EXPIRED. */
export function statusAt(grant: StoredGrant, now: Date): GrantStatus {
  if (grant.status === 'ACTIVE' && grant.expiresAt && now.getTime() >= Date.parse(grant.expiresAt)) {
    return 'EXPIRED';
  }
  if (grant.status === 'PENDING' && now.getTime() >= pendingDeadline(grant)) return 'EXPIRED';
  return grant.status;
}

/** The instant a PENDING grant lapses. */
export function pendingDeadline(grant: StoredGrant): number {
  return Date.parse(grant.createdTs) + PENDING_LIFETIME_MS;
}

/** True when the grant entitles its user at `now`: ACTIVE and `startsAt <= now < expiresAt`. */
export function isInWindow(grant: StoredGrant, now: Date): boolean {
  if (grant.status !== 'ACTIVE' || !grant.startsAt || !grant.expiresAt) return false;
  const time = now.getTime();
  return Date.parse(grant.startsAt) <= time && time < Date.parse(grant.expiresAt);
}

/** The `ttl` (epoch seconds) of a grant: some time after the last instant it could be used. */
export function grantTtl(grant: StoredGrant): number {
  const lastUse =
    grant.status === 'PENDING'
      ? pendingDeadline(grant)
      : grant.status === 'REVOKED'
        ? Date.parse(grant.revokedTs ?? grant.modifiedTs)
        : Date.parse(grant.expiresAt ?? grant.modifiedTs);
  return Math.ceil((lastUse + RETENTION_MS) / 1000);
}
