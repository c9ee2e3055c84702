/**
 * Environment variables of the audit query function, beside `AUDIT_ENV.bucket` (AWS) or
 * `AUDIT_ENV.directory` (local mode). Kept apart from deps.ts so that the Identity stack
 * can name them without bundling the S3 and CloudTrail clients.
 */
export const AUDIT_QUERY_ENV = {
  /**
   * ARN of `staxid-audit-reader` in the security account: it reads the bucket, and assumes
   * `staxid-cloudtrail-reader` in member accounts to read their CloudTrail.
   */
  readerRoleArn: 'STAXID_AUDIT_READER_ROLE_ARN',
} as const;
