import { App, BootstraplessSynthesizer, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import type { StaxidConfig } from '@/lib/config';
import {
  BUILTIN_ROLE_MANAGED_POLICIES,
  MemberAccountStack,
  type MemberAccountStackProps,
} from '@/lib/member-account/member-account-stack';
import { MemberRolesStack } from '@/lib/member-account/member-roles-stack';
import { exampleConfig } from '@/test/support/config';

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const SECURITY = '222222222222';

/** A staxid role (built-in, or under the /staxid/ path) of the account the template is deployed to. */
const OWN_STAXID_ROLE =
  /^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::",\{"Ref":"AWS::AccountId"\},":role\/staxid(-[a-z]+-role|\/\*)"\]\]\}$/;

/** `arn:<partition><rest>` as CloudFormation renders it. */
function arn(...rest: unknown[]): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...rest]] };
}

/** An ARN in the member account the template is deployed to. */
function ownArn(resource: string): unknown {
  return arn(':iam::', { Ref: 'AWS::AccountId' }, `:${resource}`);
}

/** The member-account template exactly as the StackSet ships it. */
function memberTemplate(config: StaxidConfig = exampleConfig()): {
  stack: MemberAccountStack;
  template: Template;
} {
  const memberRoles = new MemberRolesStack(new App({ context: cdkJson.context }), 'StaxidMemberRoles', {
    env: { account: config.accounts.management, region: config.region },
    config,
  });
  // Synthesizing the StackSet's stack first renders the member template the way it ships.
  Template.fromStack(memberRoles);
  const stack = memberRoles.memberAccountTemplate;
  return { stack, template: Template.fromStack(stack) };
}

function standaloneProps(overrides: Partial<MemberAccountStackProps> = {}): MemberAccountStackProps {
  const config = exampleConfig();
  return {
    synthesizer: new BootstraplessSynthesizer(),
    securityAccountId: config.accounts.security,
    organizationId: config.organizationId,
    samlMetadata: config.memberRoles.samlMetadata,
    ...overrides,
  };
}

function providerId(stack: MemberAccountStack): string {
  return stack.resolve(stack.samlProvider.samlProviderArn).Ref;
}

function automationStatements(template: Template): Statement[] {
  const roles = Object.values(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'staxid-automation-role' } }),
  );
  expect(roles).toHaveLength(1);
  const policies: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[] =
    roles[0]?.Properties.Policies ?? [];
  expect(policies).toHaveLength(1);
  return policies[0]?.PolicyDocument.Statement ?? [];
}

function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The same elements, in any order (the app minimizes and sorts policies). */
function expectSameMembers(actual: readonly unknown[] | undefined, expected: readonly unknown[]): void {
  expect(actual).toHaveLength(expected.length);
  expect(actual).toEqual(expect.arrayContaining([...expected]));
}

describe('MemberAccountStack', () => {
  describe('SAML provider', () => {
    it('is named staxid and trusts the configured metadata', () => {
      const config = exampleConfig();
      const { template } = memberTemplate(config);

      template.resourceCountIs('AWS::IAM::SAMLProvider', 1);
      template.hasResourceProperties('AWS::IAM::SAMLProvider', {
        Name: 'staxid',
        SamlMetadataDocument: config.memberRoles.samlMetadata,
      });
    });
  });

  describe.each([
    ['admin', 'staxid-admin-role', 'AdministratorAccess'],
    ['developer', 'staxid-developer-role', 'job-function/SystemAdministrator'],
    ['readonly', 'staxid-readonly-role', 'ReadOnlyAccess'],
  ] as const)('built-in %s role', (level, roleName, managedPolicy) => {
    it(`is ${roleName} with only the AWS managed ${managedPolicy} policy`, () => {
      const { template } = memberTemplate();

      expect(BUILTIN_ROLE_MANAGED_POLICIES[level]).toBe(managedPolicy);
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: roleName,
        ManagedPolicyArns: [arn(`:iam::aws:policy/${managedPolicy}`)],
        Policies: Match.absent(),
      });
    });

    it('trusts only the staxid provider, through the AWS sign-in endpoint, with source identity and session tags', () => {
      const { stack, template } = memberTemplate();

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: roleName,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: { Ref: providerId(stack) } },
              Action: ['sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'],
              Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
            },
          ],
        },
      });
    });

    it('lasts up to the configured session duration', () => {
      const { template } = memberTemplate(
        exampleConfig((raw) => {
          (raw.identity as Record<string, unknown>).builtinRoleSessionDuration = 7200;
        }),
      );

      template.hasResourceProperties('AWS::IAM::Role', { RoleName: roleName, MaxSessionDuration: 7200 });
    });
  });

  describe('session duration', () => {
    it('raises a configured duration below one hour to IAM’s floor for the role maximum', () => {
      const template = Template.fromStack(
        new MemberAccountStack(new App(), 'Member', standaloneProps({ builtinRoleSessionDuration: 900 })),
      );

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-admin-role',
        MaxSessionDuration: 3600,
      });
    });

    it('defaults to one hour', () => {
      const template = Template.fromStack(new MemberAccountStack(new App(), 'Member', standaloneProps()));

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-readonly-role',
        MaxSessionDuration: 3600,
      });
    });

    test.each([899, 43201, 3600.5])('refuses %p seconds', (seconds) => {
      expect(
        () =>
          new MemberAccountStack(
            new App(),
            'Member',
            standaloneProps({ builtinRoleSessionDuration: seconds }),
          ),
      ).toThrow(
        `builtinRoleSessionDuration must be a whole number of seconds from 900 to 43200, got ${seconds}`,
      );
    });
  });

  describe('automation role', () => {
    it('is assumable only by the security account’s staxid-deployer role, from inside the organization', () => {
      const { template } = memberTemplate();

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-automation-role',
        MaxSessionDuration: 3600,
        ManagedPolicyArns: Match.absent(),
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: arn(`:iam::${SECURITY}:root`) },
              Action: 'sts:AssumeRole',
              Condition: {
                ArnEquals: { 'aws:PrincipalArn': arn(`:iam::${SECURITY}:role/staxid-deployer`) },
                StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
              },
            },
          ],
        },
      });
    });

    it('uses the given partition for the deployer role', () => {
      const template = Template.fromStack(
        new MemberAccountStack(new App(), 'Member', standaloneProps({ partition: 'aws-us-gov' })),
      );

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-automation-role',
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Condition: Match.objectLike({
                ArnEquals: { 'aws:PrincipalArn': `arn:aws-us-gov:iam::${SECURITY}:role/staxid-deployer` },
              }),
            }),
          ],
        },
      });
    });

    it('manages permission-set roles under the /staxid/ path of its own account only', () => {
      const statement = automationStatements(memberTemplate().template).find(
        (s) => s.Sid === 'ManagePermissionSetRoles',
      );

      expect(statement).toMatchObject({ Effect: 'Allow', Resource: ownArn('role/staxid/*') });
      expectSameMembers(statement && actionsOf(statement), [
        'iam:AttachRolePolicy',
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
      ]);
    });

    it('may only put and delete inline policies on the built-in roles (session revocation)', () => {
      const statement = automationStatements(memberTemplate().template).find(
        (s) => s.Sid === 'RevokeBuiltinRoleSessions',
      );

      expect(statement).toMatchObject({ Effect: 'Allow' });
      expect(statement && Object.keys(statement).sort()).toEqual(['Action', 'Effect', 'Resource', 'Sid']);
      expectSameMembers(statement && actionsOf(statement), ['iam:PutRolePolicy', 'iam:DeleteRolePolicy']);
      expectSameMembers(statement && resourcesOf(statement), [
        ownArn('role/staxid-admin-role'),
        ownArn('role/staxid-developer-role'),
        ownArn('role/staxid-readonly-role'),
      ]);
    });

    it('may only read the roles it manages', () => {
      const statement = automationStatements(memberTemplate().template).find(
        (s) => s.Sid === 'ReadManagedRoles',
      );

      expect(statement).toBeDefined();
      expect(statement && actionsOf(statement).every((action) => /^iam:(Get|List)/.test(action))).toBe(true);
      expectSameMembers(statement && resourcesOf(statement), [
        ownArn('role/staxid/*'),
        ownArn('role/staxid-admin-role'),
        ownArn('role/staxid-developer-role'),
        ownArn('role/staxid-readonly-role'),
      ]);
    });

    it('may look up any role by name (is the name free, or taken outside /staxid/?), and read no more of it', () => {
      const statement = automationStatements(memberTemplate().template).find(
        (s) => s.Sid === 'FindRoleByName',
      );

      expect(statement && actionsOf(statement)).toEqual(['iam:GetRole']);
      expectSameMembers(statement && resourcesOf(statement), [ownArn('role/*')]);
    });

    it('may list roles (to find the /staxid/ roles whose sessions it revokes) and nothing else on "*"', () => {
      const statement = automationStatements(memberTemplate().template).find(
        (s) => s.Sid === 'ListStaxidRoles',
      );

      expect(statement).toEqual({
        Sid: 'ListStaxidRoles',
        Effect: 'Allow',
        Action: 'iam:ListRoles',
        Resource: '*',
      });
    });

    it('cannot read CloudTrail: corroboration goes through the read-only staxid-cloudtrail-reader', () => {
      const statements = automationStatements(memberTemplate().template);

      expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('cloudtrail:'))).toEqual([]);
    });

    it('allows no wildcard action and nothing beyond roles of its own account (but ListRoles and GetRole by name)', () => {
      const allows = automationStatements(memberTemplate().template).filter(
        (s) => s.Effect === 'Allow' && s.Sid !== 'ListStaxidRoles' && s.Sid !== 'FindRoleByName',
      );

      expect(allows).toHaveLength(3);
      for (const statement of allows) {
        for (const action of actionsOf(statement)) expect(action).toMatch(/^iam:[A-Za-z]+$/);
        for (const resource of resourcesOf(statement)) {
          expect(JSON.stringify(resource)).toMatch(OWN_STAXID_ROLE);
        }
      }
    });

    it('can never change itself or the SAML provider', () => {
      const { stack, template } = memberTemplate();
      const deny = automationStatements(template).find((s) => s.Effect === 'Deny');

      expect(deny).toEqual({
        Sid: 'NeverTouchTheAutomationRoleOrTheSamlProvider',
        Effect: 'Deny',
        Action: 'iam:*',
        Resource: [ownArn('role/staxid-automation-role'), { Ref: providerId(stack) }],
      });
    });
  });

  describe('CloudTrail reader role', () => {
    it('is assumable only by the security account’s staxid-audit-reader role, from inside the organization', () => {
      memberTemplate().template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-cloudtrail-reader',
        MaxSessionDuration: 3600,
        ManagedPolicyArns: Match.absent(),
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: arn(`:iam::${SECURITY}:root`) },
              Action: 'sts:AssumeRole',
              Condition: {
                ArnEquals: { 'aws:PrincipalArn': arn(`:iam::${SECURITY}:role/staxid-audit-reader`) },
                StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
              },
            },
          ],
        },
      });
    });

    it('may only look up CloudTrail management events (to corroborate sign-ins)', () => {
      memberTemplate().template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-cloudtrail-reader',
        Policies: [
          {
            PolicyName: 'StaxidCloudTrailReader',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'CorroborateSignIns',
                  Effect: 'Allow',
                  Action: 'cloudtrail:LookupEvents',
                  Resource: '*',
                },
              ],
            },
          },
        ],
      });
    });

    it('uses the given partition for the audit reader role', () => {
      const template = Template.fromStack(
        new MemberAccountStack(new App(), 'Member', standaloneProps({ partition: 'aws-us-gov' })),
      );

      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'staxid-cloudtrail-reader',
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Condition: Match.objectLike({
                ArnEquals: { 'aws:PrincipalArn': `arn:aws-us-gov:iam::${SECURITY}:role/staxid-audit-reader` },
              }),
            }),
          ],
        },
      });
    });
  });

  describe('cdk-nag', () => {
    it('passes the AwsSolutions checks with no unacknowledged finding', () => {
      const app = new App({ context: cdkJson.context });
      const stack = new MemberAccountStack(app, 'Member', standaloneProps());
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      expect(app.synth().getStackArtifact(stack.artifactId).template).toHaveProperty('Resources');
    });
  });
});
