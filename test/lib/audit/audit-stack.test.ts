import { App, type CfnResource, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { AuditStack } from '@/lib/audit/audit-stack';
import type { StaxidConfig } from '@/lib/config';
import { exampleConfig } from '@/test/support/config';

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** `arn:<partition><rest>` as CloudFormation renders it. */
function arn(rest: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] };
}

const SECURITY = '222222222222';
const LOGGING = '333333333333';
const BUCKET = `staxid-audit-${LOGGING}-eu-west-1`;
const WRITER_ARN = arn(`:iam::${SECURITY}:role/staxid-audit-writer`);
const READER_ARN = arn(`:iam::${SECURITY}:role/staxid-audit-reader`);
const SECURITY_ROOT = { AWS: arn(`:iam::${SECURITY}:root`) };

function auditStack(
  config: StaxidConfig = exampleConfig(),
  app = new App({ context: cdkJson.context }),
): AuditStack {
  return new AuditStack(app, 'StaxidAudit', {
    env: { account: config.accounts.logging, region: config.region },
    config,
  });
}

function logicalId(stack: AuditStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnResource);
}

function bucketPolicyStatements(stack: AuditStack): Statement[] {
  const template = Template.fromStack(stack);
  const policies = Object.values(
    template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: logicalId(stack, stack.bucket) } },
    }),
  );
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement ?? [];
}

function keyPolicyStatements(stack: AuditStack): Statement[] {
  const keys = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
  expect(keys).toHaveLength(1);
  return keys[0]?.Properties.KeyPolicy.Statement ?? [];
}

function bySid(statements: readonly Statement[], sid: string): Statement | undefined {
  return statements.find((statement) => statement.Sid === sid);
}

function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

describe('AuditStack', () => {
  describe('audit bucket', () => {
    it('is named after the logging account and region', () => {
      Template.fromStack(auditStack()).hasResourceProperties('AWS::S3::Bucket', { BucketName: BUCKET });
    });

    it('locks every object in COMPLIANCE mode for the configured retention', () => {
      const stack = auditStack(
        exampleConfig((raw) => {
          (raw.audit as Record<string, unknown>).retentionDays = 400;
        }),
      );

      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
        },
      });
    });

    it('is versioned', () => {
      Template.fromStack(auditStack()).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        VersioningConfiguration: { Status: 'Enabled' },
      });
    });

    it('encrypts with the stack’s customer-managed KMS key and an S3 Bucket Key', () => {
      const stack = auditStack();

      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack, stack.key), 'Arn'] },
              },
            },
          ],
        },
      });
    });

    it('blocks all public access', () => {
      Template.fromStack(auditStack()).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    });

    it('disables ACLs (bucket owner enforced)', () => {
      Template.fromStack(auditStack()).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    });

    it('is retained when the stack is deleted', () => {
      Template.fromStack(auditStack()).hasResource('AWS::S3::Bucket', {
        Properties: { BucketName: BUCKET },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('moves current and noncurrent versions to the archive tiers after the configured days', () => {
      const stack = auditStack(
        exampleConfig((raw) => {
          Object.assign(raw.audit as Record<string, unknown>, {
            archiveAfterDays: 30,
            deepArchiveAfterDays: 180,
          });
        }),
      );
      const tiers = [
        { StorageClass: 'GLACIER_IR', TransitionInDays: 30 },
        { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
      ];

      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Status: 'Enabled',
              Transitions: tiers,
              NoncurrentVersionTransitions: tiers,
            }),
          ],
        },
      });
    });

    it('never expires audit events', () => {
      const bucket = Object.values(
        Template.fromStack(auditStack()).findResources('AWS::S3::Bucket', {
          Properties: { BucketName: BUCKET },
        }),
      )[0];
      const rules: Record<string, unknown>[] = bucket?.Properties.LifecycleConfiguration.Rules ?? [];

      expect(rules).not.toHaveLength(0);
      for (const rule of rules) {
        expect(rule).not.toHaveProperty('ExpirationInDays');
        expect(rule).not.toHaveProperty('NoncurrentVersionExpiration');
      }
    });

    it('logs server access to the separate access-log bucket', () => {
      const stack = auditStack();

      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        BucketName: BUCKET,
        LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack, stack.accessLogBucket) } },
      });
    });
  });

  describe('audit bucket policy', () => {
    it('denies every request that is not over TLS 1.2 or later', () => {
      const statements = bucketPolicyStatements(auditStack());
      const tlsOnly = statements.find((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');

      expect(tlsOnly).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*' });
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      );
    });

    it('allows only the writer role to put events and only the reader role to list and get them, under events/', () => {
      const statements = bucketPolicyStatements(auditStack());
      const allows = statements.filter((s) => s.Effect === 'Allow');

      expect(allows).toEqual([
        {
          Sid: 'AuditWriterPutsEvents',
          Effect: 'Allow',
          Principal: SECURITY_ROOT,
          Action: 's3:PutObject',
          Resource: arn(`:s3:::${BUCKET}/events/*`),
          Condition: { ArnEquals: { 'aws:PrincipalArn': WRITER_ARN } },
        },
        {
          Sid: 'AuditReaderListsEvents',
          Effect: 'Allow',
          Principal: SECURITY_ROOT,
          Action: 's3:ListBucket',
          Resource: arn(`:s3:::${BUCKET}`),
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': READER_ARN },
            StringLike: { 's3:prefix': 'events/*' },
          },
        },
        {
          Sid: 'AuditReaderGetsEvents',
          Effect: 'Allow',
          Principal: SECURITY_ROOT,
          Action: 's3:GetObject',
          Resource: arn(`:s3:::${BUCKET}/events/*`),
          Condition: { ArnEquals: { 'aws:PrincipalArn': READER_ARN } },
        },
      ]);
    });

    it('gives the reader role nothing that writes or deletes, and leaves it under every deny', () => {
      const statements = bucketPolicyStatements(auditStack());
      const readerActions = statements
        .filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Condition).includes('staxid-audit-reader'))
        .flatMap(actionsOf);

      expect(readerActions.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
      for (const deny of statements.filter((s) => s.Effect === 'Deny')) {
        expect(JSON.stringify(deny)).not.toContain('staxid-audit-reader');
      }
    });

    it('denies puts by any principal other than the writer role', () => {
      expect(bySid(bucketPolicyStatements(auditStack()), 'DenyPutByAnyoneButTheAuditWriter')).toEqual({
        Sid: 'DenyPutByAnyoneButTheAuditWriter',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: arn(`:s3:::${BUCKET}/*`),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': WRITER_ARN } },
      });
    });

    it('denies puts outside events/ to everyone', () => {
      expect(bySid(bucketPolicyStatements(auditStack()), 'DenyPutOutsideEvents')).toEqual({
        Sid: 'DenyPutOutsideEvents',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        NotResource: arn(`:s3:::${BUCKET}/events/*`),
      });
    });

    it('denies deleting objects and object versions to everyone', () => {
      const deletes = bySid(bucketPolicyStatements(auditStack()), 'DenyDeletes');

      expect(deletes).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: arn(`:s3:::${BUCKET}/*`),
      });
      expect(deletes?.Condition).toBeUndefined();
      expect(deletes && actionsOf(deletes)).toEqual(
        expect.arrayContaining(['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']),
      );
    });

    it('denies puts that ask for another encryption or another key than the bucket’s, and only those', () => {
      const stack = auditStack();
      const statements = bucketPolicyStatements(stack);

      expect(bySid(statements, 'DenyOtherEncryption')).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Condition: {
          StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
          Null: { 's3:x-amz-server-side-encryption': 'false' },
        },
      });
      expect(bySid(statements, 'DenyOtherEncryptionKey')).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Condition: {
          StringNotEquals: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': {
              'Fn::GetAtt': [logicalId(stack, stack.key), 'Arn'],
            },
          },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        },
      });
    });

    it('denies puts that ask for a weaker or shorter object lock than the default', () => {
      const stack = auditStack(
        exampleConfig((raw) => {
          (raw.audit as Record<string, unknown>).retentionDays = 400;
        }),
      );
      const statements = bucketPolicyStatements(stack);

      expect(bySid(statements, 'DenyWeakerObjectLock')).toMatchObject({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: {
          StringNotEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
          Null: { 's3:object-lock-mode': 'false' },
        },
      });
      expect(bySid(statements, 'DenyShorterObjectLock')).toMatchObject({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: {
          NumericLessThan: { 's3:object-lock-remaining-retention-days': '400' },
          Null: { 's3:object-lock-remaining-retention-days': 'false' },
        },
      });
    });

    it('denies Object Lock configuration changes except through the CloudFormation execution role', () => {
      expect(bySid(bucketPolicyStatements(auditStack()), 'DenyObjectLockChangesOutsideDeployments')).toEqual({
        Sid: 'DenyObjectLockChangesOutsideDeployments',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutBucketObjectLockConfiguration',
        Resource: arn(`:s3:::${BUCKET}`),
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': {
              'Fn::Sub': `arn:\${AWS::Partition}:iam::${LOGGING}:role/cdk-hnb659fds-cfn-exec-role-${LOGGING}-eu-west-1`,
            },
          },
        },
      });
    });

    it('never denies bucket-policy management, so the account cannot lock itself out', () => {
      const denied = bucketPolicyStatements(auditStack())
        .filter((s) => s.Effect === 'Deny' && !s.Condition)
        .flatMap(actionsOf);

      expect(denied).not.toContain('s3:*');
      expect(denied).not.toContain('s3:PutBucketPolicy');
      expect(denied).not.toContain('s3:DeleteBucketPolicy');
    });
  });

  describe('audit key', () => {
    it('is a customer-managed key with rotation, the audit alias, and retained', () => {
      const stack = auditStack();
      const template = Template.fromStack(stack);

      template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/staxid-audit',
        TargetKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.key), 'Arn'] },
      });
    });

    it('grants only the logging account (administration), the writer role (data keys) and the reader role (decrypt), through S3 for the bucket', () => {
      expect(keyPolicyStatements(auditStack())).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: arn(`:iam::${LOGGING}:root`) },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'AuditWriterEncryptsThroughS3',
          Effect: 'Allow',
          Principal: SECURITY_ROOT,
          Action: 'kms:GenerateDataKey',
          Resource: '*',
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': WRITER_ARN },
            StringEquals: {
              'kms:ViaService': 's3.eu-west-1.amazonaws.com',
              'kms:EncryptionContext:aws:s3:arn': arn(`:s3:::${BUCKET}`),
            },
          },
        },
        {
          Sid: 'AuditReaderDecryptsThroughS3',
          Effect: 'Allow',
          Principal: SECURITY_ROOT,
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': READER_ARN },
            StringEquals: {
              'kms:ViaService': 's3.eu-west-1.amazonaws.com',
              'kms:EncryptionContext:aws:s3:arn': arn(`:s3:::${BUCKET}`),
            },
          },
        },
      ]);
    });
  });

  describe('access-log bucket', () => {
    it('is private, TLS-only, versioned, encrypted and retained', () => {
      const stack = auditStack();
      const id = logicalId(stack, stack.accessLogBucket);
      const template = Template.fromStack(stack);
      const bucket = template.findResources('AWS::S3::Bucket')[id];

      expect(bucket).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          VersioningConfiguration: { Status: 'Enabled' },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('admits only S3 log delivery for the audit bucket', () => {
      const stack = auditStack();
      const id = logicalId(stack, stack.accessLogBucket);

      Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, `/${BUCKET}/*`]] },
              Condition: {
                ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, stack.bucket), 'Arn'] } },
                StringEquals: { 'aws:SourceAccount': LOGGING },
              },
            },
          ]),
        },
      });
    });
  });

  describe('cdk-nag', () => {
    it('passes the AwsSolutions checks with no unacknowledged finding', () => {
      const app = new App({ context: cdkJson.context });
      const stack = auditStack(exampleConfig(), app);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      const assembly = app.synth();

      expect(assembly.getStackArtifact(stack.artifactId).template).toHaveProperty('Resources');
    });
  });
});
