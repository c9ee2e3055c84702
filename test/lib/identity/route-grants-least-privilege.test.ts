import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { AUDIT_ROUTES } from '@/lambdas/audit/query/routes';
import { SCIM_ROUTES } from '@/lambdas/scim/routes';
import { SIGNIN_ROUTES } from '@/lambdas/signin/routes';
import { IdentityStack } from '@/lib/identity/identity-stack';
import { grantSamlCertificateResource } from '@/lib/identity/route-grants';
import { StaxidFunction } from '@/lib/identity/staxid-function';
import { exampleConfig } from '@/test/support/config';

/**
 * Security review 2026-12-01, findings 2, 3 and 5: the audit query, the public SAML metadata
 * and SCIM get only what they call. One synthesis (with cdk-nag) serves every assertion.
 */

interface Statement {
  readonly Action: string | string[];
  readonly Effect: string;
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Sid?: string;
}

const config = exampleConfig();
const outdir = mkdtempSync(join(tmpdir(), 'staxid-least-privilege-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const stack = new IdentityStack(app, 'StaxidIdentity', {
  env: { account: config.accounts.security, region: config.region },
  config,
  routes: [...AUDIT_ROUTES, ...SCIM_ROUTES, ...SIGNIN_ROUTES],
});
const certificateFunction = new StaxidFunction(stack, 'TestSamlCertificateFunction', {
  entry: 'lambdas/saml/certificate-resource.ts',
  description: 'test: SAML certificate custom resource',
  logRetention: config.identity.logRetentionDays,
});
grantSamlCertificateResource(certificateFunction, {
  table: stack.table,
  samlSigningKey: stack.samlSigningKey,
});
const template = Template.fromStack(stack);

const actionsOf = (statement: Statement) =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

/** The function whose description matches, and every statement of every policy on its role. */
function functionNamed(description: RegExp) {
  const functions = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description.source) },
    }),
  );
  expect(functions.length).toBeGreaterThan(0);
  const fn = functions[0];
  const roleId: string = fn?.Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.Roles as Array<{ Ref?: string }>).some((role) => role.Ref === roleId)
      ? (policy.Properties.PolicyDocument.Statement as Statement[])
      : [],
  );
  return {
    roleId,
    environment: (fn?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
    statements,
    actions: statements.flatMap(actionsOf),
  };
}

function roleNamed(roleName: string) {
  const roles = Object.entries(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }),
  );
  expect(roles).toHaveLength(1);
  const [id, role] = roles[0] ?? [];
  const attached = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.Roles as Array<{ Ref?: string }>).some((ref) => ref.Ref === id)
      ? (policy.Properties.PolicyDocument.Statement as Statement[])
      : [],
  );
  return { role, attached };
}

describe('least-privilege route grants (security review 2026-12-01)', () => {
  describe('audit query (finding 2)', () => {
    it('cannot assume the deployer role, which can change IAM in every member account', () => {
      const query = functionNamed(/GET \/20190206\/audit\/events/);
      const deployer = roleNamed('staxid-deployer');
      const deployerId = Object.keys(
        template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'staxid-deployer' } }),
      )[0];

      expect(deployerId).toBeDefined();
      expect(JSON.stringify(query.statements)).not.toContain(`"${deployerId}"`);
      expect(JSON.stringify(deployer.role?.Properties.AssumeRolePolicyDocument)).not.toContain(
        `"${query.roleId}"`,
      );
      expect(query.environment).not.toHaveProperty('STAXID_DEPLOYER_ROLE_ARN');
      expect(query.environment).toHaveProperty('STAXID_AUDIT_READER_ROLE_ARN');
    });

    it('reaches member accounts only through staxid-audit-reader → staxid-cloudtrail-reader in the organization', () => {
      const { attached } = roleNamed('staxid-audit-reader');

      expect(attached).toEqual([
        {
          Sid: 'AssumeCloudTrailReaderInOrganization',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/staxid-cloudtrail-reader']],
          },
          Condition: { StringEquals: { 'aws:ResourceOrgID': config.organizationId } },
        },
      ]);
      expect(JSON.stringify(attached)).not.toContain('staxid-automation-role');
    });
  });

  describe('SAML metadata (finding 3)', () => {
    it('holds no kms:Sign: only GetPublicKey and DescribeKey on the SAML key', () => {
      const metadata = functionNamed(/GET \/saml\/metadata\.xml/);

      expect(metadata.actions).not.toContain('kms:Sign');
      expect(metadata.statements).toContainEqual(
        expect.objectContaining({
          Action: ['kms:DescribeKey', 'kms:GetPublicKey'],
          Resource: expect.objectContaining({
            'Fn::GetAtt': expect.arrayContaining([expect.stringMatching(/SamlSigningKey/)]),
          }),
        }),
      );
    });

    it('reads only the SAMLCERT item of the table, never the rest', () => {
      const metadata = functionNamed(/GET \/saml\/metadata\.xml/);
      const tableStatements = metadata.statements.filter((s) =>
        actionsOf(s).some((a) => a.startsWith('dynamodb:')),
      );

      expect(tableStatements).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:GetItem',
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['SAMLCERT'] } },
        }),
      ]);
    });

    it('leaves kms:Sign to AWS sign-in and the deploy-time certificate resource, which writes only SAMLCERT', () => {
      expect(functionNamed(/POST \/20190206\/aws\/sign-in/).actions).toContain('kms:Sign');
      const resource = functionNamed(/SAML certificate custom resource/);

      expect(resource.statements).toContainEqual(
        expect.objectContaining({ Action: ['kms:GetPublicKey', 'kms:Sign'], Resource: expect.anything() }),
      );
      expect(resource.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:PutItem',
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['SAMLCERT'] } },
        }),
      ]);
    });
  });

  describe('SCIM (finding 5)', () => {
    it('may only disable (with global sign-out), enable and delete pool users', () => {
      const scim = functionNamed(/\/scim\/v2\/Users/);
      const cognito = scim.actions.filter((action) => action.startsWith('cognito-idp:'));

      expect(cognito.sort()).toEqual([
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminEnableUser',
        'cognito-idp:AdminUserGlobalSignOut',
      ]);
      expect(cognito).not.toContain('cognito-idp:AdminSetUserPassword');
      expect(scim.environment).toHaveProperty('STAXID_USER_POOL_ID');
    });
  });

  it('passes the AwsSolutions checks with no unacknowledged finding', () => {
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; severity: string }> }>;
    };
    const findings = report.pluginReports
      .filter((plugin) => plugin.pluginName === 'AwsSolutions')
      .flatMap((plugin) =>
        plugin.violations.map((violation) => `${violation.severity} ${violation.ruleName}`),
      );

    expect(findings).toEqual([]);
  });
});
