import { entitlementRoleArn, sessionNameFor } from '@/lambdas/signin/sign-in-service';

describe('sessionNameFor', () => {
  it.each([
    ['jane.doe+aws@example.com', 'jane.doe+aws@example.com'],
    ["o'brien@example.com", 'o_brien@example.com'],
    [`${'a'.repeat(70)}@example.com`, 'a'.repeat(64)],
    ['', '__'],
  ])('turns %j into the RoleSessionName %j', (email, name) => {
    expect(sessionNameFor(email)).toBe(name);
  });
});

describe('entitlementRoleArn', () => {
  const base = { accountId: 'x', awsAccountId: '123456789012', accountName: 'dev', roleName: 'Ops' };
  it.each([
    ['builtin', 'arn:aws:iam::123456789012:role/Ops'],
    ['support', 'arn:aws:iam::123456789012:role/Ops'],
    ['permission-set', 'arn:aws:iam::123456789012:role/staxid/Ops'],
  ] as const)('a %s role is %s', (source, arn) => {
    expect(entitlementRoleArn('aws', { ...base, source })).toBe(arn);
  });
});
