import { Match, Template } from 'aws-cdk-lib/assertions';
import { EDGE_SECRET_HEADER, MANAGED_RULE_GROUPS, VIEWER_IP_HEADER } from '@/lib/identity/api-web-acl';
import { identityFixture, logicalIdOf } from './identity-fixture';

const { template, config, stack } = identityFixture();

interface Rule {
  readonly Name: string;
  readonly Statement: {
    readonly RateBasedStatement?: { readonly ScopeDownStatement: Record<string, unknown> };
  };
}

function rules(): Rule[] {
  const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0];
  return acl?.Properties.Rules ?? [];
}

function scopeDownOf(name: string): Record<string, unknown> | undefined {
  return rules().find((rule) => rule.Name === name)?.Statement.RateBasedStatement?.ScopeDownStatement;
}

/** The exact-match of the edge secret header, as the per-viewer rule scopes down to it. */
const throughCloudFront = {
  ByteMatchStatement: {
    FieldToMatch: { SingleHeader: { Name: EDGE_SECRET_HEADER } },
    PositionalConstraint: 'EXACTLY',
    SearchString: Match.anyValue(),
    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
  },
};

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

  test('limits each viewer through CloudFront first, by the IP CloudFront sets, with a Stax-shaped 429', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        {
          Name: 'RateLimitPerViewer',
          Priority: 0,
          Statement: {
            RateBasedStatement: {
              Limit: config.identity.wafRateLimit,
              AggregateKeyType: 'FORWARDED_IP',
              ForwardedIPConfig: { HeaderName: VIEWER_IP_HEADER, FallbackBehavior: 'MATCH' },
              EvaluationWindowSec: 300,
              ScopeDownStatement: throughCloudFront,
            },
          },
          Action: {
            Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'TooManyRequests' } },
          },
          VisibilityConfig: {
            CloudWatchMetricsEnabled: true,
            SampledRequestsEnabled: true,
            MetricName: 'staxid-api-rate-limit-viewer',
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

  test('limits every other request (a direct caller) by its own IP, with the same 429', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        {
          Name: 'RateLimitPerIp',
          Priority: 1,
          Statement: {
            RateBasedStatement: {
              Limit: config.identity.wafRateLimit,
              AggregateKeyType: 'IP',
              EvaluationWindowSec: 300,
              ScopeDownStatement: { NotStatement: { Statement: throughCloudFront } },
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
    });
  });

  test('every request is under exactly one rate limit: the per-IP rule is the negation of the per-viewer scope', () => {
    const viewer = scopeDownOf('RateLimitPerViewer');
    expect(viewer).toBeDefined();
    expect(scopeDownOf('RateLimitPerIp')).toEqual({ NotStatement: { Statement: viewer } });
  });

  test("the edge secret is the console's Secrets Manager secret, resolved at deployment, never in the template", () => {
    const site = Template.fromStack(stack.console.site);
    const secretId = logicalIdOf(site, 'AWS::SecretsManager::Secret');
    const outputs = Object.entries(site.toJSON().Outputs as Record<string, { Value: unknown }>);
    const secretOutput = outputs.find(
      ([, output]) => JSON.stringify(output.Value) === JSON.stringify({ Ref: secretId }),
    );
    expect(secretOutput).toBeDefined();
    const viewer = scopeDownOf('RateLimitPerViewer') as { ByteMatchStatement: { SearchString: unknown } };
    expect(viewer.ByteMatchStatement.SearchString).toEqual({
      'Fn::Join': [
        '',
        [
          '{{resolve:secretsmanager:',
          {
            'Fn::GetAtt': [expect.stringMatching(/^ConsoleSite/), `Outputs.${secretOutput?.[0]}`],
          },
          ':SecretString:::}}',
        ],
      ],
    });
  });

  test.each(MANAGED_RULE_GROUPS.map((name, index) => [name, index + 2] as const))(
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

  test('has exactly the two rate rules and the two managed groups', () => {
    expect(rules().map((rule) => rule.Name)).toEqual([
      'RateLimitPerViewer',
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
