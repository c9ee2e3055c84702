import type { SecretValue } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { VIEWER_IP_HEADER } from '@/lambdas/shared/constants';

/**
 * The header CloudFront adds to every request it sends to the API (an origin custom header,
 * which replaces any value the viewer sent): its value is the edge secret. A request with the
 * exact secret came through CloudFront; any other request is a direct caller's.
 */
export const EDGE_SECRET_HEADER = 'x-staxid-edge';

/** Trusted only on requests that carry the edge secret: a direct caller can send it too. */
export { VIEWER_IP_HEADER };

export interface ApiWebAclProps {
  /** The API stage to protect. */
  readonly stage: Stage;
  /** Requests one client (a viewer through CloudFront, or an IP) may send in any 5 minutes before it is blocked. */
  readonly rateLimit: number;
  /** The value CloudFront sends in `EDGE_SECRET_HEADER`: a dynamic reference, never in the template. */
  readonly edgeSecret: SecretValue;
}

/** The AWS managed rule groups in front of the API, in evaluation order after the rate limits. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

const tooManyRequests: CfnWebACL.RuleActionProperty = {
  block: { customResponse: { responseCode: 429, customResponseBodyKey: 'TooManyRequests' } },
};

/** Matches a request whose `EDGE_SECRET_HEADER` is exactly the secret: it came through CloudFront. */
function throughCloudFront(edgeSecret: SecretValue): CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: {
      fieldToMatch: { singleHeader: { Name: EDGE_SECRET_HEADER } },
      positionalConstraint: 'EXACTLY',
      searchString: edgeSecret.unsafeUnwrap(),
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/**
 * The two rate limits, one budget per client. Through CloudFront the request's IP is an edge
 * address shared by many viewers, so a request with the edge secret is counted by the viewer's
 * IP that CloudFront put in `VIEWER_IP_HEADER`; any other request by its own IP, as before.
 * A header only a direct caller could forge is never trusted without the secret, and a wrong
 * secret only puts its sender under the per-IP limit it is under anyway.
 */
function rateLimitRules(rateLimit: number, edgeSecret: SecretValue): CfnWebACL.RuleProperty[] {
  const viaEdge = throughCloudFront(edgeSecret);
  return [
    {
      name: 'RateLimitPerViewer',
      priority: 0,
      statement: {
        rateBasedStatement: {
          limit: rateLimit,
          evaluationWindowSec: 300,
          aggregateKeyType: 'FORWARDED_IP',
          // CloudFront always sets a valid address; were it missing, block rather than not count.
          forwardedIpConfig: { headerName: VIEWER_IP_HEADER, fallbackBehavior: 'MATCH' },
          scopeDownStatement: viaEdge,
        },
      },
      action: tooManyRequests,
      visibilityConfig: visibility('staxid-api-rate-limit-viewer'),
    },
    {
      name: 'RateLimitPerIp',
      priority: 1,
      statement: {
        rateBasedStatement: {
          limit: rateLimit,
          evaluationWindowSec: 300,
          aggregateKeyType: 'IP',
          scopeDownStatement: { notStatement: { statement: viaEdge } },
        },
      },
      action: tooManyRequests,
      visibilityConfig: visibility('staxid-api-rate-limit'),
    },
  ];
}

/**
 * A regional WAF web ACL on the API stage: the rate limits first (answered with a Stax-shaped
 * 429), then AWS's common and known-bad-inputs rule groups. There is no L2 construct for WAFv2,
 * hence the L1 resources.
 */
export class ApiWebAcl extends Construct {
  readonly webAcl: CfnWebACL;
  readonly association: CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const rateRules = rateLimitRules(props.rateLimit, props.edgeSecret);
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
        ...rateRules,
        ...MANAGED_RULE_GROUPS.map((name, index) => ({
          name,
          priority: rateRules.length + index,
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
