import { type AuditReadBudget, DEFAULT_READ_BUDGET } from '@/lambdas/audit/query/audit-events';
import {
  type CloudTrailLookup,
  MemberCloudTrailLookup,
  noCloudTrail,
} from '@/lambdas/audit/query/corroboration';
import { AUDIT_QUERY_ENV } from '@/lambdas/audit/query/env';
import { type AuditEventStore, FileAuditEventStore } from '@/lambdas/audit/query/event-store';
import { S3AuditEventStore } from '@/lambdas/audit/query/s3-event-store';
import { AUDIT_ENV } from '@/lambdas/shared/audit';
import { once, requiredEnv } from '@/lambdas/shared/deps';
import { logger as defaultLogger, type Logger } from '@/lambdas/shared/logger';

/** What the audit query needs, handed in: tests pass a store over a temp dir and a mocked CloudTrail. */
export interface AuditQueryDeps {
  readonly store: AuditEventStore;
  readonly cloudTrail: CloudTrailLookup;
  readonly clock: { now(): Date };
  readonly logger: Logger;
  readonly budget: AuditReadBudget;
}

/** Local mode reads `AUDIT_ENV.directory` and has no CloudTrail; AWS reads the bucket and CloudTrail through the reader role. */
export function buildAuditQueryDeps(env: NodeJS.ProcessEnv): AuditQueryDeps {
  const common = { clock: { now: () => new Date() }, logger: defaultLogger, budget: DEFAULT_READ_BUDGET };
  const directory = env[AUDIT_ENV.directory];
  if (directory) return { ...common, store: new FileAuditEventStore(directory), cloudTrail: noCloudTrail };
  const region = requiredEnv(env, 'AWS_REGION');
  const readerRoleArn = requiredEnv(env, AUDIT_QUERY_ENV.readerRoleArn);
  return {
    ...common,
    store: new S3AuditEventStore({ bucket: requiredEnv(env, AUDIT_ENV.bucket), readerRoleArn, region }),
    cloudTrail: new MemberCloudTrailLookup({ readerRoleArn, regions: [...new Set([region, 'us-east-1'])] }),
  };
}

/** The dependencies this function was configured with, built on the first request. */
export const auditQueryDepsFromEnv = once(() => buildAuditQueryDeps(process.env));
