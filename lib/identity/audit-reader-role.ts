import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  AUDIT_EVENTS_PREFIX,
  AUDIT_KEY_ALIAS,
  AUDIT_READER_ROLE_NAME,
  auditBucketName,
} from '@/lambdas/shared/constants';
import { CallerScopedRole } from '@/lib/identity/service-roles';

export interface AuditReaderRoleProps {
  /** The logging account, which holds the audit bucket and its key. */
  readonly loggingAccount: string;
}

/**
 * `staxid-audit-reader`: may only list and get objects under `events/` in the audit bucket
 * of the logging account, decrypting them with the bucket's key through S3. Assumed by the
 * audit query function (`allowAssumeBy`), as the writer role is by the functions that write.
 */
export class AuditReaderRole extends CallerScopedRole {
  constructor(scope: Construct, id: string, props: AuditReaderRoleProps) {
    const { partition, region } = Stack.of(scope);
    const bucket = auditBucketName(props.loggingAccount, region);
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const objectsArn = `${bucketArn}/${AUDIT_EVENTS_PREFIX}*`;
    const keysArn = `arn:${partition}:kms:${region}:${props.loggingAccount}:key/*`;
    super(scope, id, {
      roleName: AUDIT_READER_ROLE_NAME,
      description: 'staxid: reads audit events from the audit bucket in the logging account',
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'ListAuditEvents',
            actions: ['s3:ListBucket'],
            resources: [bucketArn],
            conditions: { StringLike: { 's3:prefix': `${AUDIT_EVENTS_PREFIX}*` } },
          }),
          new PolicyStatement({ sid: 'GetAuditEvents', actions: ['s3:GetObject'], resources: [objectsArn] }),
          new PolicyStatement({
            sid: 'DecryptAuditEventsThroughS3',
            actions: ['kms:Decrypt'],
            resources: [keysArn],
            conditions: {
              StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': AUDIT_KEY_ALIAS },
            },
          }),
        ],
      }),
    });
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/${AUDIT_EVENTS_PREFIX}*]`,
        reason: `Every audit event is its own object, keyed ${AUDIT_EVENTS_PREFIX}YYYY/MM/DD/HH/<eventId>.json; only GetObject, only under ${AUDIT_EVENTS_PREFIX}, only in the audit bucket.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${props.loggingAccount}:key/*]`,
        reason: `The audit key lives in the logging account and its id cannot be referenced across accounts; the statement is limited to Decrypt called by S3 (kms:ViaService) on the key aliased ${AUDIT_KEY_ALIAS} (kms:ResourceAliases).`,
      },
    );
  }
}
