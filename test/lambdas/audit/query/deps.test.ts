import { MemberCloudTrailLookup } from '@/lambdas/audit/query/corroboration';
import { buildAuditQueryDeps } from '@/lambdas/audit/query/deps';
import { FileAuditEventStore } from '@/lambdas/audit/query/event-store';
import { S3AuditEventStore } from '@/lambdas/audit/query/s3-event-store';

describe('buildAuditQueryDeps', () => {
  it('reads the audit directory in local mode', () => {
    const deps = buildAuditQueryDeps({ STAXID_AUDIT_DIR: '/tmp/staxid/audit' });

    expect(deps.store).toBeInstanceOf(FileAuditEventStore);
    expect(deps.cloudTrail).not.toBeInstanceOf(MemberCloudTrailLookup);
  });

  it('reads the bucket and CloudTrail through the reader role, and needs no deployer role, in AWS', () => {
    const deps = buildAuditQueryDeps({
      AWS_REGION: 'eu-west-1',
      STAXID_AUDIT_BUCKET: 'staxid-audit-333333333333-eu-west-1',
      STAXID_AUDIT_READER_ROLE_ARN: 'arn:aws:iam::222222222222:role/staxid-audit-reader',
    });

    expect(deps.store).toBeInstanceOf(S3AuditEventStore);
    expect(deps.cloudTrail).toBeInstanceOf(MemberCloudTrailLookup);
  });

  it('names the missing variable when the function was deployed without its configuration', () => {
    expect(() =>
      buildAuditQueryDeps({
        AWS_REGION: 'eu-west-1',
        STAXID_AUDIT_BUCKET: 'staxid-audit-333333333333-eu-west-1',
      }),
    ).toThrow('environment variable STAXID_AUDIT_READER_ROLE_ARN is not set');
  });
});
