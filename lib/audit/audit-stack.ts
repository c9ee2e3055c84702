import {
  Aws,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  AUDIT_EVENTS_PREFIX,
  AUDIT_KEY_ALIAS,
  AUDIT_READER_ROLE_NAME,
  AUDIT_WRITER_ROLE_NAME,
  auditBucketName,
  roleArn,
} from '@/lambdas/shared/constants';
import type { StaxidConfig } from '@/lib/config';

export interface AuditStackProps extends StackProps {
  /** The validated staxid configuration; the stack reads `accounts`, `region` and `audit`. */
  readonly config: StaxidConfig;
}

/**
 * The audit trail, in the logging account: one bucket that nobody can rewrite.
 *
 * - Object Lock in COMPLIANCE mode with the configured retention: no one, root
 *   included, can delete or overwrite an event version before it expires.
 * - Only the Identity stack's `staxid-audit-writer` role (security account) may put
 *   objects, and only under `events/`. The role is named by condition, not as the
 *   Principal, because it is created after this stack (ADR 0004).
 * - Only the Identity stack's `staxid-audit-reader` role may list and read them, again
 *   only under `events/`; nobody but the writer may put, and nobody may delete.
 * - SSE-KMS with a customer-managed key whose policy allows the writer role only to
 *   generate data keys, and the reader role only to decrypt, through S3 for this bucket.
 * - Server access logs go to a separate, hardened log bucket.
 */
export class AuditStack extends Stack {
  /** The audit events bucket. */
  readonly bucket: s3.Bucket;

  /** The customer-managed key that encrypts the audit events. */
  readonly key: kms.Key;

  /** The bucket that receives the audit bucket's server access logs. */
  readonly accessLogBucket: s3.Bucket;

  /** ARN of the only principal that may write audit events. */
  readonly writerRoleArn: string;

  /** ARN of the only principal that may read audit events (the audit query). */
  readonly readerRoleArn: string;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { retentionDays, archiveAfterDays, deepArchiveAfterDays } = config.audit;
    const bucketName = auditBucketName(config.accounts.logging, config.region);
    // Built from the fixed name, not from `bucket.bucketArn`: the key policy needs it, and
    // the bucket depends on the key.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    this.writerRoleArn = roleArn(Aws.PARTITION, config.accounts.security, AUDIT_WRITER_ROLE_NAME);
    const securityAccount = new iam.AccountPrincipal(config.accounts.security);
    const isWriter = { ArnEquals: { 'aws:PrincipalArn': this.writerRoleArn } };
    this.readerRoleArn = roleArn(Aws.PARTITION, config.accounts.security, AUDIT_READER_ROLE_NAME);
    const isReader = { ArnEquals: { 'aws:PrincipalArn': this.readerRoleArn } };

    this.key = new kms.Key(this, 'Key', {
      alias: AUDIT_KEY_ALIAS,
      description: 'staxid audit events (SSE-KMS of the audit bucket)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditWriterEncryptsThroughS3',
        principals: [securityAccount],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ...isWriter,
          StringEquals: {
            'kms:ViaService': `s3.${config.region}.amazonaws.com`,
            // With S3 Bucket Keys the encryption context is the bucket ARN.
            'kms:EncryptionContext:aws:s3:arn': bucketArn,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditReaderDecryptsThroughS3',
        principals: [securityAccount],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ...isReader,
          StringEquals: {
            'kms:ViaService': `s3.${config.region}.amazonaws.com`,
            'kms:EncryptionContext:aws:s3:arn': bucketArn,
          },
        },
      }),
    );

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logging can only deliver to SSE-S3 buckets without Object Lock.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
    // cdk-nag AwsSolutions-S1 accepts a bucket without access logs when it is itself the
    // access-log destination of a bucket in the same stack: no acknowledgement needed.

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: `${bucketName}/`,
      lifecycleRules: [
        {
          id: 'ArchiveAuditEvents',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(archiveAfterDays),
            },
            {
              storageClass: s3.StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(deepArchiveAfterDays),
            },
          ],
          noncurrentVersionTransitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(archiveAfterDays),
            },
            {
              storageClass: s3.StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(deepArchiveAfterDays),
            },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.addBucketPolicy(bucketArn, securityAccount, isWriter, retentionDays);
    this.addReaderGrants(bucketArn, securityAccount, isReader);
  }

  /** The reader lists and gets events, under `events/` only: no put, no delete, no other prefix. */
  private addReaderGrants(
    bucketArn: string,
    securityAccount: iam.IPrincipal,
    isReader: Record<string, Record<string, string>>,
  ): void {
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditReaderListsEvents',
        principals: [securityAccount],
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { ...isReader, StringLike: { 's3:prefix': `${AUDIT_EVENTS_PREFIX}*` } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditReaderGetsEvents',
        principals: [securityAccount],
        actions: ['s3:GetObject'],
        resources: [`${bucketArn}/${AUDIT_EVENTS_PREFIX}*`],
        conditions: isReader,
      }),
    );
  }

  private addBucketPolicy(
    bucketArn: string,
    securityAccount: iam.IPrincipal,
    isWriter: iam.PolicyStatementProps['conditions'],
    retentionDays: number,
  ): void {
    const events = `${bucketArn}/${AUDIT_EVENTS_PREFIX}*`;
    const objects = `${bucketArn}/*`;
    const anyone = new iam.AnyPrincipal();
    const statements = [
      new iam.PolicyStatement({
        sid: 'AuditWriterPutsEvents',
        principals: [securityAccount],
        actions: ['s3:PutObject'],
        resources: [events],
        conditions: isWriter,
      }),
      new iam.PolicyStatement({
        sid: 'DenyPutByAnyoneButTheAuditWriter',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.writerRoleArn } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyPutOutsideEvents',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        notResources: [events],
      }),
      // Objects are encrypted by the bucket default (SSE-KMS, this key). A writer that
      // names an encryption of its own must name the same one: otherwise it could lock
      // the logging account out of its own audit trail with a key it does not control.
      // Each of these denies applies only when the header is sent (`Null: false`): an
      // `...IfExists` operator would treat a missing header as a match and deny every put
      // that relies on the bucket defaults, as the writer does.
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryption',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: sentAndNot('StringNotEquals', 's3:x-amz-server-side-encryption', 'aws:kms'),
      }),
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryptionKey',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: sentAndNot(
          'StringNotEquals',
          's3:x-amz-server-side-encryption-aws-kms-key-id',
          this.key.keyArn,
        ),
      }),
      // The bucket default is COMPLIANCE for the configured retention; a put must not ask
      // for a weaker lock on its own object.
      new iam.PolicyStatement({
        sid: 'DenyWeakerObjectLock',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: sentAndNot('StringNotEquals', 's3:object-lock-mode', 'COMPLIANCE'),
      }),
      new iam.PolicyStatement({
        sid: 'DenyShorterObjectLock',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: sentAndNot(
          'NumericLessThan',
          's3:object-lock-remaining-retention-days',
          String(retentionDays),
        ),
      }),
      // Object Lock already refuses these on locked versions; the deny also covers delete
      // markers and versions whose lock has expired. No one ever deletes an audit event.
      new iam.PolicyStatement({
        sid: 'DenyDeletes',
        effect: iam.Effect.DENY,
        principals: [anyone],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
        resources: [objects],
      }),
    ];
    const lockConfigGuard = this.objectLockConfigurationGuard(bucketArn, anyone);
    if (lockConfigGuard) statements.push(lockConfigGuard);
    for (const statement of statements) this.bucket.addToResourcePolicy(statement);
  }

  /**
   * Denies changing the Object Lock configuration (which could shorten the lock of future
   * events) to everyone but the CloudFormation execution role that deploys this stack, so
   * that a retention change goes through code review and `cdk deploy`. The account root can
   * still edit the bucket policy, so nobody is locked out of the bucket.
   */
  private objectLockConfigurationGuard(
    bucketArn: string,
    anyone: iam.IPrincipal,
  ): iam.PolicyStatement | undefined {
    if (!(this.synthesizer instanceof DefaultStackSynthesizer)) return undefined;
    return new iam.PolicyStatement({
      sid: 'DenyObjectLockChangesOutsideDeployments',
      effect: iam.Effect.DENY,
      principals: [anyone],
      actions: ['s3:PutBucketObjectLockConfiguration'],
      resources: [bucketArn],
      // The synthesizer's ARN carries `${AWS::Partition}`-style placeholders.
      conditions: {
        ArnNotEquals: { 'aws:PrincipalArn': Fn.sub(this.synthesizer.cloudFormationExecutionRoleArn) },
      },
    });
  }
}

/** A condition that matches only when the request carries `key` and it fails `operator` against `value`. */
function sentAndNot(operator: string, key: string, value: string): Record<string, Record<string, string>> {
  return { [operator]: { [key]: value }, Null: { [key]: 'false' } };
}
