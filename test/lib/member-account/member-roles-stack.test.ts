import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import type { StaxidConfig } from '@/lib/config';
import { MemberAccountStack } from '@/lib/member-account/member-account-stack';
import {
  MAX_TEMPLATE_BODY_BYTES,
  MemberRolesStack,
  type MemberRolesStackProps,
} from '@/lib/member-account/member-roles-stack';
import { exampleConfig } from '@/test/support/config';

const MANAGEMENT = '111111111111';

function memberRolesStack(
  config: StaxidConfig = exampleConfig(),
  options: { app?: App; account?: string; callAs?: MemberRolesStackProps['callAs'] } = {},
): MemberRolesStack {
  return new MemberRolesStack(options.app ?? new App({ context: cdkJson.context }), 'StaxidMemberRoles', {
    env: { account: options.account ?? config.accounts.management, region: config.region },
    config,
    ...(options.callAs && { callAs: options.callAs }),
  });
}

function stackSetProperties(stack: MemberRolesStack): Record<string, unknown> {
  const stackSets = Object.values(Template.fromStack(stack).findResources('AWS::CloudFormation::StackSet'));
  expect(stackSets).toHaveLength(1);
  return stackSets[0]?.Properties ?? {};
}

function templateBody(stack: MemberRolesStack): Record<string, unknown> {
  const body = stackSetProperties(stack).TemplateBody;
  expect(typeof body).toBe('string');
  return JSON.parse(String(body));
}

/** Runs `action` and returns what it threw. */
function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('MemberRolesStack', () => {
  describe('StackSet', () => {
    it('is service-managed and auto-deploys to the configured OUs but never to the security and logging accounts, keeping no stacks in departed accounts', () => {
      const stack = memberRolesStack(
        exampleConfig((raw) => {
          (raw.memberRoles as Record<string, unknown>).targetOus = ['ou-ab12-cd34ef56', 'ou-ab12-99887766'];
        }),
      );

      expect(stackSetProperties(stack)).toMatchObject({
        StackSetName: 'staxid-member-roles',
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        StackInstancesGroup: [
          {
            DeploymentTargets: {
              OrganizationalUnitIds: ['ou-ab12-cd34ef56', 'ou-ab12-99887766'],
              AccountFilterType: 'DIFFERENCE',
              Accounts: ['222222222222', '333333333333'],
            },
            Regions: ['eu-west-1'],
          },
        ],
      });
    });

    it('deploys to the configured region only (IAM is global)', () => {
      const stack = memberRolesStack(
        exampleConfig((raw) => {
          raw.region = 'ap-southeast-2';
        }),
      );

      expect(stackSetProperties(stack).StackInstancesGroup).toEqual([
        expect.objectContaining({ Regions: ['ap-southeast-2'] }),
      ]);
    });

    it('acknowledges named IAM resources, runs with managed execution and bounded failure', () => {
      expect(stackSetProperties(memberRolesStack())).toMatchObject({
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        ManagedExecution: { Active: true },
        OperationPreferences: { FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25 },
      });
    });

    it('is created as the management account by default, or as a delegated administrator', () => {
      expect(stackSetProperties(memberRolesStack()).CallAs).toBe('SELF');
      expect(
        stackSetProperties(
          memberRolesStack(exampleConfig(), { account: '444444444444', callAs: 'DELEGATED_ADMIN' }),
        ).CallAs,
      ).toBe('DELEGATED_ADMIN');
    });

    test.each([
      [
        'SELF',
        '444444444444',
        `MemberRolesStack: callAs "SELF" creates the StackSet as the management account, so the stack must be deployed there (${MANAGEMENT}), got account 444444444444. Deploy it to the management account, or use callAs "DELEGATED_ADMIN" from a delegated administrator account.`,
      ],
      [
        'DELEGATED_ADMIN',
        MANAGEMENT,
        `MemberRolesStack: callAs "DELEGATED_ADMIN" is for a delegated administrator account, but the stack is in the management account (${MANAGEMENT}). Use callAs "SELF" there.`,
      ],
    ] as const)('refuses callAs %s in account %s', (callAs, account, message) => {
      expect(() => memberRolesStack(exampleConfig(), { account, callAs })).toThrow(message);
    });
  });

  describe('member-account template', () => {
    it('is the template of memberAccountTemplate, verbatim', () => {
      const stack = memberRolesStack();

      expect(stack.memberAccountTemplate).toBeInstanceOf(MemberAccountStack);
      expect(templateBody(stack)).toEqual(Template.fromStack(stack.memberAccountTemplate).toJSON());
    });

    it('holds the SAML provider and the five staxid roles', () => {
      const body = templateBody(memberRolesStack()) as { Resources: Record<string, { Type: string }> };
      const types = Object.values(body.Resources).map((resource) => resource.Type);

      expect(types.sort()).toEqual(
        [
          'AWS::IAM::Role',
          'AWS::IAM::Role',
          'AWS::IAM::Role',
          'AWS::IAM::Role',
          'AWS::IAM::Role',
          'AWS::IAM::SAMLProvider',
        ].sort(),
      );
    });

    it('needs no CDK bootstrap: no BootstrapVersion parameter or rule, no CDK metadata', () => {
      // What `cdk synth` sets: the member template must stay clean even then.
      const app = new App({
        context: {
          ...cdkJson.context,
          'aws:cdk:enable-path-metadata': true,
          'aws:cdk:version-reporting': true,
        },
      });
      const body = templateBody(memberRolesStack(exampleConfig(), { app }));
      const serialized = JSON.stringify(body);

      expect(body).not.toHaveProperty('Parameters');
      expect(body).not.toHaveProperty('Rules');
      expect(body).not.toHaveProperty('Conditions');
      expect(serialized).not.toContain('BootstrapVersion');
      expect(serialized).not.toContain('CDKMetadata');
      expect(serialized).not.toContain('aws:cdk:path');
      expect(serialized).not.toContain('cdk-hnb659fds');
    });

    it('is not a stack of the main app, so cdk deploy cannot put it into the management account', () => {
      const app = new App({ context: cdkJson.context });
      const stack = memberRolesStack(exampleConfig(), { app });

      const assembly = app.synth();

      expect(assembly.stacks.map((artifact) => artifact.stackName)).toEqual([stack.stackName]);
      expect(assembly.nestedAssemblies).toHaveLength(0);
      expect(app.node.findAll().filter((construct) => construct instanceof MemberAccountStack)).toHaveLength(
        0,
      );
    });

    it('fails synth when it outgrows the TemplateBody limit, naming the SAML metadata', () => {
      const config = exampleConfig();
      const padding = `<!-- ${'x'.repeat(MAX_TEMPLATE_BODY_BYTES)} -->`;
      const samlMetadata = config.memberRoles.samlMetadata.replace(
        '</md:EntityDescriptor>',
        `${padding}</md:EntityDescriptor>`,
      );
      const stack = memberRolesStack({ ...config, memberRoles: { ...config.memberRoles, samlMetadata } });

      expect(() => Template.fromStack(stack)).toThrow(
        new RegExp(
          `The member-account StackSet template is \\d+ bytes, more than the 51200 bytes CloudFormation accepts as a TemplateBody\\. The SAML metadata in staxid\\.memberRoles\\.samlMetadataFile is ${Buffer.byteLength(samlMetadata)} bytes of it`,
        ),
      );
    });
  });

  describe('cdk-nag', () => {
    it('passes the AwsSolutions checks, the member template included', () => {
      const app = new App({ context: cdkJson.context });
      const stack = memberRolesStack(exampleConfig(), { app });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      expect(app.synth().getStackArtifact(stack.artifactId).template).toHaveProperty('Resources');
    });

    it('checks the member template: a non-compliant resource in it fails synth', () => {
      const app = new App({ context: cdkJson.context });
      const stack = memberRolesStack(exampleConfig(), { app });
      const user = new iam.User(stack.memberAccountTemplate, 'NonCompliantUser');
      user.addToPolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));

      const error = thrownBy(() => app.synth());

      expect(error.name).toBe('ValidationFailed');
      expect(error.message).toContain('StaxidMemberAccount/NonCompliantUser/DefaultPolicy/Resource');
      expect(error.message).toContain('AwsSolutions-IAM5[Action::*]');
      expect(error.message).toContain('AwsSolutions-IAM5[Resource::*]');
      // The private app keeps its folder for the report the message points to; tidy it up.
      const report = /found in: (\S+validation-report\.json)/.exec(error.message)?.[1];
      expect(report).toMatch(/staxid-member-template-/);
      if (report) rmSync(dirname(report), { recursive: true, force: true });
    });
  });
});

describe('organizations reader role', () => {
  const config = exampleConfig();
  const template = Template.fromStack(
    new MemberRolesStack(new App(), 'StaxidMemberRoles', {
      env: { account: config.accounts.management, region: config.region },
      config,
    }),
  );

  it('can only list the organization', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-organizations-reader',
      Policies: [
        {
          PolicyName: 'ListAccounts',
          PolicyDocument: {
            Statement: [
              {
                Action: ['organizations:ListAccounts', 'organizations:DescribeOrganization'],
                Effect: 'Allow',
                Resource: '*',
              },
            ],
          },
        },
      ],
    });
  });

  it('is assumable only by the discovery function role of the security account', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'staxid-organizations-reader',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: {
              AWS: Match.objectLike({
                'Fn::Join': Match.arrayWith([Match.arrayWith([`:iam::${config.accounts.security}:root`])]),
              }),
            },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      `:iam::${config.accounts.security}:role/staxid-account-discovery`,
                    ],
                  ],
                },
              },
            },
          },
        ],
      },
    });
  });
});
