import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { StoredAccount } from '@/lambdas/accounts/account-items';
import type { RevocationAction } from '@/lambdas/revocation/messages';
import { ENTITY } from '@/lambdas/shared/keys';
import { type GrantScope, SUPPORT_GRANT_ENTITY } from '@/lambdas/support/grant-items';

/**
 * What a table stream record means for session revocation (ADR 0013), decided in one place
 * for the fan-out function (AWS) and local/revocation.ts (`npm start`):
 * - a user's status change → revoke or restore in every member account;
 * - a support grant revoked while ACTIVE (ADR 0012) → revoke its engineer in the grant's
 *   scope only. A grant that expires, or is revoked while PENDING, opened no session to end.
 */

/** A change that calls for revocation messages. */
export interface RevocationChange {
  readonly userId: string;
  readonly action: RevocationAction;
  /** ISO 8601: the stream record's approximate time. */
  readonly at: string;
  readonly sequenceNumber: string;
  /** The support grant revoked early; absent for a user's status change (every account). */
  readonly grant?: { readonly id: string; readonly scope: GrantScope };
}

const REVOKED_STATUSES = new Set(['DISABLED', 'DELETED']);

/** The change a stream record carries, if it is one (user status change or early grant revocation). */
export function revocationChange(record: DynamoDBRecord, now: Date): RevocationChange | undefined {
  return userStatusChange(record, now) ?? grantRevocation(record, now);
}

/**
 * To DISABLED or DELETED (from another status) → revoke; from DISABLED to anything but
 * DELETED → restore.
 */
function userStatusChange(record: DynamoDBRecord, now: Date): RevocationChange | undefined {
  const stream = record.dynamodb;
  const id = entityIdOf(record, ENTITY.user);
  if (id === undefined) return undefined;
  const action = userAction(stringOf(stream?.OldImage?.Status), stringOf(stream?.NewImage?.Status));
  if (!action) return undefined;
  return { userId: stringOf(stream?.NewImage?.Id) ?? id, action, ...when(record, now) };
}

function userAction(before: string | undefined, after: string | undefined): RevocationAction | undefined {
  if (after === undefined || before === after) return undefined;
  if (REVOKED_STATUSES.has(after) && before !== 'DELETED') return 'revoke';
  if (before === 'DISABLED' && !REVOKED_STATUSES.has(after)) return 'restore';
  return undefined;
}

/** ACTIVE → REVOKED on a support grant: revoke its engineer where the grant reached. */
function grantRevocation(record: DynamoDBRecord, now: Date): RevocationChange | undefined {
  const stream = record.dynamodb;
  const id = entityIdOf(record, SUPPORT_GRANT_ENTITY);
  const image = stream?.NewImage;
  if (id === undefined || !image) return undefined;
  const userId = stringOf(image.UserId);
  if (stringOf(stream?.OldImage?.Status) !== 'ACTIVE' || stringOf(image.Status) !== 'REVOKED' || !userId) {
    return undefined;
  }
  return {
    userId,
    action: 'revoke',
    ...when(record, now),
    grant: {
      id,
      scope: {
        accountIds: stringsOf(image.ScopeAccountIds),
        accountTypeIds: stringsOf(image.ScopeAccountTypeIds),
      },
    },
  };
}

/** The id of the `<entity>#<id>` / `<entity>` item the record is about, if it is such an item. */
function entityIdOf(record: DynamoDBRecord, entity: string): string | undefined {
  const keys = record.dynamodb?.Keys;
  const pk = keys?.PK?.S;
  if (keys?.SK?.S !== entity || !pk?.startsWith(`${entity}#`)) return undefined;
  return pk.slice(`${entity}#`.length);
}

function when(record: DynamoDBRecord, now: Date): Pick<RevocationChange, 'at' | 'sequenceNumber'> {
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  return {
    at: (seconds === undefined ? now : new Date(seconds * 1000)).toISOString(),
    sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
  };
}

function stringOf(value: AttributeValue | undefined): string | undefined {
  return value?.S;
}

/** A list attribute as the document client writes it (L of S), or a string set. */
function stringsOf(value: AttributeValue | undefined): string[] {
  return value?.L?.flatMap((entry) => (entry.S === undefined ? [] : [entry.S])) ?? value?.SS ?? [];
}

/** The accounts whose staxid roles carry revocations: ACTIVE members (StackSets never deploy to the management account). */
export function revocationAccounts(accounts: readonly StoredAccount[]): string[] {
  return accounts
    .filter(
      (account) =>
        account.status === 'ACTIVE' && account.accountRole !== 'MANAGEMENT' && account.awsAccountId,
    )
    .map((account) => account.awsAccountId);
}

/**
 * The AWS account ids a change reaches: every revocation account for a user's status change;
 * for a grant, those of them it names or whose account type it names.
 */
export function changeAccounts(change: RevocationChange, accounts: readonly StoredAccount[]): string[] {
  const scope = change.grant?.scope;
  if (!scope) return revocationAccounts(accounts);
  const typeIds = new Set(scope.accountTypeIds);
  const accountIds = new Set(scope.accountIds);
  return revocationAccounts(
    accounts.filter(
      (account) =>
        accountIds.has(account.id) || (account.accountType !== undefined && typeIds.has(account.accountType)),
    ),
  );
}
