/**
 * Environment variables of the audit query function, beside `AUDIT_ENV.bucket` (AWS) or
 * `AUDIT_ENV.directory` (local mode). Kept apart from deps.ts so that the Identity stack
 * can name them without bundling the S3 and CloudTrail clients.
 */
export const AUDIT_QUERY_ENV = {
  /** ARN of `staxid-audit-reader` in the security account. */
  readerRoleArn: 'STAXID_AUDIT_READER_ROLE_ARN',
  /** ARN of `staxid-deployer`, through which CloudTrail is read in member accounts (the revocation worker's variable). */
  deployerRoleArn: 'STAXID_DEPLOYER_ROLE_ARN',
} as const;
