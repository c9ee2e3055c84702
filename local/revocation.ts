/**
 * Session revocation under `npm start` (ADR 0013): the table stream's user status changes and
 * early support grant revocations, read by local/stream-reader.ts and decided by the same
 * revocationChange as the fan-out function in AWS, applied at once (no queue) to the ACTIVE
 * member accounts they reach in the simulated organization through LocalRevocationTarget,
 * which records the policies under `$STAXID_HOME/revocations/`.
 */
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { listAccounts } from '@/lambdas/accounts/account-items';
import { changeAccounts, revocationChange } from '@/lambdas/revocation/changes';
import type { RevocationTarget } from '@/lambdas/revocation/revocation-target';
import { applyRevocation } from '@/lambdas/revocation/revoke-sessions';
import type { Clock, Db } from '@/lambdas/shared/db';
import { errorFields, type Logger } from '@/lambdas/shared/logger';
import type { StreamPageResult } from '@/local/stream-reader';

export interface LocalRevocationDeps {
  readonly db: Db;
  readonly target: RevocationTarget;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A page of stream records → revocations; a failed record is read again on the next pass. */
export function localRevocationConsumer(deps: LocalRevocationDeps) {
  return async (records: readonly _Record[]): Promise<StreamPageResult> => {
    for (const record of records) {
      const change = revocationChange(lambdaShaped(record), deps.clock.now());
      if (!change) continue;
      try {
        for (const awsAccountId of changeAccounts(change, await listAccounts(deps.db))) {
          await applyRevocation(
            deps.target,
            { awsAccountId, userId: change.userId, action: change.action, at: change.at },
            deps.clock.now(),
          );
        }
      } catch (error) {
        deps.logger.error('local session revocation failed; retrying', {
          userId: change.userId,
          ...errorFields(error),
        });
        return { retryFrom: change.sequenceNumber };
      }
    }
    return {};
  };
}

/** GetRecords gives the record's time as a Date; Lambda's event gives epoch seconds. */
function lambdaShaped(record: _Record): DynamoDBRecord {
  const time = record.dynamodb?.ApproximateCreationDateTime;
  return {
    ...record,
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: time === undefined ? undefined : time.getTime() / 1000,
    },
  } as DynamoDBRecord;
}
