import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { isProtectedAccount } from '@/lambdas/accounts/account-items';
import {
  assignmentsOfAccountType,
  type DeploymentStore,
  requestDeployment,
} from '@/lambdas/deployments/deployment-store';
import type { DeploymentMessage, DeploymentQueue } from '@/lambdas/deployments/messages';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ENTITY } from '@/lambdas/shared/keys';
import { errorFields, type Logger } from '@/lambdas/shared/logger';

/**
 * Keeping account types' roles true (issue 6, item 4): when an account item's AccountType
 * changes, or the account becomes ACTIVE or stops being ACTIVE, the permission sets assigned
 * to the type it joined are deployed to it and those of the type it left are removed. For
 * each type, its assignments are read with one Query on GSI2, the deployment items written
 * in a `*_REQUESTED` status, and the messages enqueued.
 */

/** Event source mapping filter patterns (any one matches): account items only. */
export const ACCOUNT_STREAM_FILTER_PATTERNS: readonly Record<string, unknown>[] = [
  {
    eventName: ['INSERT', 'MODIFY', 'REMOVE'],
    dynamodb: { Keys: { PK: { S: [{ prefix: `${ENTITY.account}#` }] }, SK: { S: [ENTITY.account] } } },
  },
];

export interface AccountFanOutDeps {
  readonly db: Db;
  readonly store: DeploymentStore;
  readonly queue: DeploymentQueue;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** An account's move between account types, as far as its roles are concerned. */
export interface AccountMove {
  readonly accountId: string;
  readonly awsAccountId: string;
  /** The type whose roles it must now have. */
  readonly joined?: string;
  /** The type whose roles it must lose. */
  readonly left?: string;
  readonly sequenceNumber: string;
}

/** The move a stream record carries, if it is one. */
export function accountMove(record: DynamoDBRecord): AccountMove | undefined {
  const stream = record.dynamodb;
  if (stream?.Keys?.SK?.S !== ENTITY.account || !stream.Keys.PK?.S?.startsWith(`${ENTITY.account}#`)) {
    return undefined;
  }
  const before = membership(stream.OldImage);
  const after = membership(stream.NewImage);
  const joined = after !== before ? after : undefined;
  const left = before !== after ? before : undefined;
  if (!joined && !left) return undefined;
  const image = stream.NewImage ?? stream.OldImage;
  return {
    accountId: stringOf(image?.Id) ?? stream.Keys.PK.S.slice(`${ENTITY.account}#`.length),
    awsAccountId: stringOf(image?.AwsAccountId) ?? '',
    ...(joined && { joined }),
    ...(left && { left }),
    sequenceNumber: stream.SequenceNumber ?? '',
  };
}

/**
 * The account type whose roles an account should hold: its type while it is ACTIVE, else
 * none; never any for the management, security or logging account (review M3), so an account
 * discovery labels one of those has its permission-set roles removed.
 */
function membership(image: Record<string, AttributeValue> | undefined): string | undefined {
  if (stringOf(image?.Status) !== 'ACTIVE') return undefined;
  if (isProtectedAccount(stringOf(image?.AccountRole))) return undefined;
  return stringOf(image?.AccountType) || undefined;
}

function stringOf(value: AttributeValue | undefined): string | undefined {
  return value?.S;
}

/**
 * Requests and enqueues the deployments of every move in the batch, in stream order. On a
 * failure it stops and reports the failed record: Lambda retries from there, and what was
 * already requested is requested again with a later RequestedAt, which the worker handles.
 */
export async function fanOutAccountMoves(
  deps: AccountFanOutDeps,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const move = accountMove(record);
    if (!move?.awsAccountId) continue;
    try {
      const messages = await requestMove(deps, move);
      await deps.queue.enqueue(messages);
      deps.logger.info('account type change fanned out to permission set deployments', {
        ...move,
        messages: messages.length,
      });
    } catch (error) {
      deps.logger.error('permission set fan-out failed; the stream will retry it', {
        ...move,
        ...errorFields(error),
      });
      return { batchItemFailures: [{ itemIdentifier: move.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}

/** Writes the deployment items of one move; returns their messages. */
export async function requestMove(deps: AccountFanOutDeps, move: AccountMove): Promise<DeploymentMessage[]> {
  const requestedAt = deps.clock.now().toISOString();
  const messages: DeploymentMessage[] = [];
  for (const [accountTypeId, action] of [
    [move.left, 'delete'],
    [move.joined, 'deploy'],
  ] as const) {
    if (!accountTypeId) continue;
    for (const assignment of await assignmentsOfAccountType(deps.db, accountTypeId)) {
      if (assignment.Status.startsWith('DELETE_')) continue;
      const message = await requestDeployment(
        deps.store,
        {
          permissionSetId: assignment.PermissionSetId,
          assignmentId: assignment.Id,
          awsAccountId: move.awsAccountId,
          accountId: move.accountId,
          action,
        },
        requestedAt,
      );
      if (message) messages.push(message);
    }
  }
  return messages;
}
