import { Match } from 'aws-cdk-lib/assertions';
import { MANAGED_RULE_GROUPS } from '@/lib/identity/api-web-acl';
import { identityFixture, logicalIdOf } from './identity-fixture';

const { template, config } = identityFixture();

describe('ApiWebAcl', () => {
  test('is a REGIONAL web ACL that allows by default, with metrics and samples', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: {
        CloudWatchMetricsEnabled: true,
        SampledRequestsEnabled: true,
        MetricName: 'staxid-api',
      },
    });
  });

  test('blocks an IP above the configured rate first, with a Stax-shaped 429', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        {
          Name: 'RateLimitPerIp',
          Priority: 0,
          Statement: {
            RateBasedStatement: {
              Limit: config.identity.wafRateLimit,
              AggregateKeyType: 'IP',
              EvaluationWindowSec: 300,
            },
          },
          Action: {
            Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'TooManyRequests' } },
          },
          VisibilityConfig: {
            CloudWatchMetricsEnabled: true,
            SampledRequestsEnabled: true,
            MetricName: 'staxid-api-rate-limit',
          },
        },
      ]),
      CustomResponseBodies: {
        TooManyRequests: {
          ContentType: 'APPLICATION_JSON',
          Content: '{"Error":"Too many requests from this address: wait a few minutes and retry"}',
        },
      },
    });
  });

  test.each(MANAGED_RULE_GROUPS.map((name, index) => [name, index + 1] as const))(
    'applies the AWS managed rule group %s (priority %d)',
    (name, priority) => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          {
            Name: name,
            Priority: priority,
            Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } },
            OverrideAction: { None: {} },
            VisibilityConfig: {
              CloudWatchMetricsEnabled: true,
              SampledRequestsEnabled: true,
              MetricName: `staxid-api-${name}`,
            },
          },
        ]),
      });
    },
  );

  test('has exactly the rate rule and the two managed groups', () => {
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
    expect(acl?.Properties.Rules.map((rule: { Name: string }) => rule.Name)).toEqual([
      'RateLimitPerIp',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
  });

  test('is associated with the API stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::WAFv2::WebACL'), 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':apigateway:eu-west-1::/restapis/',
            { Ref: logicalIdOf(template, 'AWS::ApiGateway::RestApi') },
            '/stages/',
            { Ref: logicalIdOf(template, 'AWS::ApiGateway::Stage') },
          ],
        ],
      },
    });
  });
});
