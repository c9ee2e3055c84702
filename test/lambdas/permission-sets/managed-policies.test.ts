import { AWS_MANAGED_POLICIES, isKnownManagedPolicyArn } from '@/lambdas/permission-sets/managed-policies';

describe('the AWS managed policy list', () => {
  it('names each policy once, with an ARN built from its path and name', () => {
    const arns = AWS_MANAGED_POLICIES.map((policy) => policy.Arn);
    expect(new Set(arns).size).toBe(arns.length);
    for (const policy of AWS_MANAGED_POLICIES) {
      expect(policy.Arn).toBe(`arn:aws:iam::aws:policy${policy.Path}${policy.PolicyName}`);
      expect(['/', '/job-function/']).toContain(policy.Path);
    }
  });

  it.each([
    'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess',
    'arn:aws:iam::aws:policy/job-function/Billing',
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/ReadOnlyAccess',
    'arn:aws:iam::aws:policy/AwsGlueDataBrewFullAccessPolicy',
    'arn:aws:iam::aws:policy/ComprehendMedicalFullAccess',
    'arn:aws:iam::aws:policy/GlobalAcceleratorReadOnlyAccess',
    'arn:aws-us-gov:iam::aws:policy/SecurityAudit',
  ])('knows %s', (arn) => {
    expect(isKnownManagedPolicyArn(arn)).toBe(true);
  });

  it.each([
    // wrong path: these live under /job-function/ or /service-role/
    'arn:aws:iam::aws:policy/ViewOnlyAccess',
    'arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess',
    // names AWS does not have (or spells otherwise)
    'arn:aws:iam::aws:policy/AWSGlueDataBrewFullAccessPolicy',
    'arn:aws:iam::aws:policy/AmazonComprehendMedicalFullAccess',
    'arn:aws:iam::aws:policy/AWSGlobalAcceleratorFullAccess',
    'arn:aws:iam::aws:policy/AmazonGrafanaReadOnlyAccess',
    // deprecated by AWS
    'arn:aws:iam::aws:policy/AWSLambdaFullAccess',
    // a customer policy
    'arn:aws:iam::123456789012:policy/AdministratorAccess',
  ])('refuses %s', (arn) => {
    expect(isKnownManagedPolicyArn(arn)).toBe(false);
  });
});
