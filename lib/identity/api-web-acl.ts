import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWebAclProps {
  /** The API stage to protect. */
  readonly stage: Stage;
  /** Requests one client IP may send in any 5 minutes before it is blocked. */
  readonly rateLimit: number;
}

/** The AWS managed rule groups in front of the API, in evaluation order after the rate limit. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

/**
 * A regional WAF web ACL on the API stage: a per-IP rate limit first (answered with a
 * Stax-shaped 429), then AWS's common and known-bad-inputs rule groups. There is no L2
 * construct for WAFv2, hence the L1 resources.
 */
export class ApiWebAcl extends Construct {
  readonly webAcl: CfnWebACL;
  readonly association: CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: 'staxid-api',
      description: 'staxid: in front of the identity API stage',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('staxid-api'),
      customResponseBodies: {
        TooManyRequests: {
          contentType: 'APPLICATION_JSON',
          content: '{"Error":"Too many requests from this address: wait a few minutes and retry"}',
        },
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          statement: {
            rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
          },
          action: {
            block: { customResponse: { responseCode: 429, customResponseBodyKey: 'TooManyRequests' } },
          },
          visibilityConfig: visibility('staxid-api-rate-limit'),
        },
        ...MANAGED_RULE_GROUPS.map((name, index) => ({
          name,
          priority: index + 1,
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
          overrideAction: { none: {} },
          visibilityConfig: visibility(`staxid-api-${name}`),
        })),
      ],
    });
    this.association = new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
