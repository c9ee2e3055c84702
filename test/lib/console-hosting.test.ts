import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { ROUTES } from '@/lambdas/routes';
import type { StaxidConfig } from '@/lib/config';
import { EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '@/lib/identity/api-web-acl';
import {
  API_REQUEST_FUNCTION,
  apiPathPatterns,
  consoleBucketName,
  consoleContentSecurityPolicy,
  PAGE_REQUEST_FUNCTION,
} from '@/lib/identity/console-hosting';
import { API_STAGE_NAME } from '@/lib/identity/identity-api';
import { IdentityStack } from '@/lib/identity/identity-stack';
import { CLI_CALLBACK_URL } from '@/lib/identity/user-directory';
import { logicalIdOf } from '@/test/lib/identity/identity-fixture';
import { exampleConfig } from '@/test/support/config';

/** CloudFront's managed policies, by id (the same in every account). */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const CUSTOM_DOMAIN = {
  domainName: 'console.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
};

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The Identity stack synthesized with cdk-nag as lib/app.ts registers it, without bundling. */
function synthesize(config: StaxidConfig) {
  const outdir = mkdtempSync(join(tmpdir(), 'staxid-console-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new IdentityStack(app, 'StaxidIdentity', {
    env: { account: config.accounts.security, region: config.region },
    config,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  const findings: string[] = report.pluginReports.flatMap((plugin: { violations: { ruleName: string }[] }) =>
    plugin.violations.map((v) => v.ruleName),
  );
  return {
    outdir,
    stack,
    findings,
    identity: Template.fromStack(stack),
    site: Template.fromStack(stack.console.site),
    configFile: Template.fromStack(stack.consoleConfig),
  };
}

const config = exampleConfig();
const plain = synthesize(config);
const withDomain = synthesize(
  exampleConfig((raw) => {
    (raw.identity as Record<string, unknown>).console = CUSTOM_DOMAIN;
  }),
);

function distributionConfig(template: Template): Record<string, unknown> {
  const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
  return (distribution as { Properties: { DistributionConfig: Record<string, unknown> } }).Properties
    .DistributionConfig;
}

describe('ConsoleHosting: the bucket', () => {
  test('is private, encrypted, versioned, TLS-only and logs its access', () => {
    plain.site.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: consoleBucketName(plain.stack),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { LogFilePrefix: 's3/', DestinationBucketName: Match.anyValue() },
    });
  });

  test('is read by CloudFront through Origin Access Control only, for this distribution', () => {
    plain.site.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    plain.site.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    plain.site.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('ConsoleHosting: the distribution', () => {
  test('sends every top-level path of the API to the stage, uncached, all viewer headers but Host', () => {
    const patterns = apiPathPatterns(ROUTES);
    expect(patterns).toEqual(
      expect.arrayContaining([
        '/20190206/*',
        '/20210321/*',
        '/scim/*',
        '/oauth2/*',
        '/.well-known/*',
        '/saml/*',
        '/health',
        '/openapi.json',
      ]),
    );
    const behaviours = distributionConfig(plain.site).CacheBehaviors as Record<string, unknown>[];
    expect(behaviours.map((behaviour) => behaviour.PathPattern).sort()).toEqual([...patterns].sort());
    for (const behaviour of behaviours) {
      expect(behaviour).toMatchObject({
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: expect.arrayContaining(['POST', 'PUT', 'PATCH', 'DELETE']),
      });
      expect(behaviour.ResponseHeadersPolicyId).toBeUndefined();
    }
  });

  test('reaches the API at its execute-api name and stage, over TLS 1.2', () => {
    const origins = distributionConfig(plain.site).Origins as Record<string, unknown>[];
    const api = origins.find((origin) => origin.OriginPath === `/${API_STAGE_NAME}`);
    expect(api).toMatchObject({
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    expect(JSON.stringify(api?.DomainName)).toContain(`.execute-api.${config.region}.`);
  });

  test('adds the edge secret to every API request, from Secrets Manager at deployment, never in the template', () => {
    const secretId = logicalIdOf(plain.site, 'AWS::SecretsManager::Secret');
    plain.site.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    expect(plain.site.toJSON().Resources[secretId].Properties.SecretString).toBeUndefined();
    const origins = distributionConfig(plain.site).Origins as Record<string, unknown>[];
    const api = origins.find((origin) => origin.OriginPath === `/${API_STAGE_NAME}`);
    expect(api?.OriginCustomHeaders).toEqual([
      {
        HeaderName: EDGE_SECRET_HEADER,
        HeaderValue: {
          'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']],
        },
      },
    ]);
    const page = origins.find((origin) => origin !== api);
    expect(page?.OriginCustomHeaders).toBeUndefined();
  });

  test("every API behaviour runs the viewer's-IP function on the viewer request, the page does not", () => {
    const functionId = logicalIdOf(plain.site, 'AWS::CloudFront::Function', {
      FunctionCode: API_REQUEST_FUNCTION,
    });
    plain.site.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: API_REQUEST_FUNCTION,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
    });
    const behaviours = distributionConfig(plain.site).CacheBehaviors as Record<string, unknown>[];
    for (const behaviour of behaviours) {
      expect(behaviour.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
      ]);
    }
    const { DefaultCacheBehavior } = distributionConfig(plain.site) as {
      DefaultCacheBehavior: { FunctionAssociations: { FunctionARN: unknown }[] };
    };
    expect(JSON.stringify(DefaultCacheBehavior.FunctionAssociations)).not.toContain(functionId);
  });

  test('redirects the page to HTTPS, logs access and adds the page security headers', () => {
    expect(distributionConfig(plain.site)).toMatchObject({
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https' },
      Logging: { Prefix: 'cloudfront/' },
    });
    plain.site.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: {
            ContentSecurityPolicy: consoleContentSecurityPolicy(
              'https://example-staxid.auth.eu-west-1.amazoncognito.com',
            ),
            Override: true,
          },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY' },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
        },
      },
    });
  });

  test("the page's policy allows only its origin, the hosted UI and AWS sign-in (not the user pool's API)", () => {
    const policy = consoleContentSecurityPolicy('https://p.auth.eu-west-1.amazoncognito.com');
    expect(policy).not.toContain('cognito-idp');
    expect(policy).toBe(
      "default-src 'self'; connect-src 'self' https://p.auth.eu-west-1.amazoncognito.com; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' https://signin.aws.amazon.com/saml",
    );
  });

  test('with a custom domain: that name, its certificate, TLS 1.2 (2021) at least', () => {
    expect(distributionConfig(withDomain.site)).toMatchObject({
      Aliases: [CUSTOM_DOMAIN.domainName],
      ViewerCertificate: {
        AcmCertificateArn: CUSTOM_DOMAIN.certificateArn,
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      },
    });
    expect(distributionConfig(plain.site).Aliases).toBeUndefined();
  });
});

describe('ConsoleHosting: the page request function', () => {
  interface Answer {
    readonly statusCode?: number;
    readonly headers?: Record<string, { value: string }>;
    readonly uri?: string;
  }
  const run = (uri: string): Answer =>
    new Function(`${PAGE_REQUEST_FUNCTION}; return handler;`)()({ request: { uri, querystring: {} } });

  test('sends / and /console to /console/', () => {
    for (const uri of ['/', '/console']) {
      expect(run(uri)).toEqual({
        statusCode: 302,
        statusDescription: 'Found',
        headers: { location: { value: '/console/' } },
      });
    }
  });

  test('serves index.html for the page, files as they are', () => {
    expect(run('/console/').uri).toBe('/console/index.html');
    expect(run('/console/accounts').uri).toBe('/console/index.html');
    expect(run('/console/assets/index-abc123.js').uri).toBe('/console/assets/index-abc123.js');
    expect(run('/console/config.json').uri).toBe('/console/config.json');
  });

  test('is the viewer-request function of the page behaviour', () => {
    plain.site.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: PAGE_REQUEST_FUNCTION,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
    });
    expect(distributionConfig(plain.site)).toMatchObject({
      DefaultCacheBehavior: { FunctionAssociations: [{ EventType: 'viewer-request' }] },
    });
  });
});

describe("ConsoleHosting: the API request function (the viewer's IP for the web ACL)", () => {
  const run = (ip: string, headers: Record<string, { value: string }>) =>
    new Function(`${API_REQUEST_FUNCTION}; return handler;`)()({
      viewer: { ip },
      request: { uri: '/20190206/users', headers },
    });

  test("sets the viewer's IP, replacing a value the viewer sent", () => {
    const forged = { [VIEWER_IP_HEADER]: { value: '203.0.113.99' }, authorization: { value: 'Bearer t' } };
    expect(run('198.51.100.10', forged)).toEqual({
      uri: '/20190206/users',
      headers: { [VIEWER_IP_HEADER]: { value: '198.51.100.10' }, authorization: { value: 'Bearer t' } },
    });
  });

  test('gives an IPv6 viewer its bare address, without a port', () => {
    expect(run('2001:db8::1', {}).headers[VIEWER_IP_HEADER]).toEqual({ value: '2001:db8::1' });
  });
});

describe('ConsoleHosting: the files', () => {
  test('hashed assets are cached for a year, the page is checked on every load', () => {
    plain.site.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['index.html', 'config.json'],
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
      Prune: true,
    });
    plain.site.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/',
      Exclude: ['*'],
      Include: ['index.html'],
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
  });

  test('config.json names the region, the console app client and the hosted UI, never cached', () => {
    plain.configFile.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: consoleBucketName(plain.stack),
      DestinationBucketKeyPrefix: 'console/',
      SystemMetadata: { 'cache-control': 'no-store' },
      Prune: false,
      SourceMarkers: [{ '<<marker:0xbaba:0>>': { Ref: Match.stringLikeRegexp('ConsoleClient') } }],
    });
    const file = readdirSync(plain.outdir)
      .map((entry) => join(plain.outdir, entry, 'config.json'))
      .find((path) => existsSync(path));
    expect(JSON.parse(readFileSync(file ?? '', 'utf8'))).toEqual({
      mode: 'aws',
      region: 'eu-west-1',
      userPoolClientId: '<<marker:0xbaba:0>>',
      hostedUiUrl: 'https://example-staxid.auth.eu-west-1.amazoncognito.com',
    });
    // The parent passes the console app client's id to the nested stack.
    plain.identity.hasResourceProperties('AWS::CloudFormation::Stack', {
      Parameters: Match.objectLike({
        [Object.keys(plain.configFile.toJSON().Parameters ?? {}).find((name) =>
          name.includes('ConsoleClient'),
        ) ?? 'missing']: { Ref: Match.stringLikeRegexp('ConsoleClient') },
      }),
    });
  });
});

describe('ConsoleHosting in the Identity stack', () => {
  test("the console app client returns to the console's page after sign-in and sign-out", () => {
    const page = `https://${CUSTOM_DOMAIN.domainName}/console/`;
    withDomain.identity.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [...config.identity.callbackUrls, page, CLI_CALLBACK_URL],
      LogoutURLs: [...config.identity.logoutUrls, page],
    });
    const distributionPage = {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.anyValue(), Match.anyValue()] }, '/console/']],
    };
    plain.identity.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [...config.identity.callbackUrls, distributionPage, CLI_CALLBACK_URL],
      LogoutURLs: [...config.identity.logoutUrls, distributionPage],
    });
  });

  test('adds two nested stacks to the Identity stack and nothing else', () => {
    plain.identity.resourceCountIs('AWS::CloudFormation::Stack', 2);
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::CloudFront::Distribution',
      'Custom::CDKBucketDeployment',
      'AWS::SecretsManager::Secret',
    ]) {
      plain.identity.resourceCountIs(type, 0);
    }
    expect(Object.keys(plain.identity.toJSON().Resources).length).toBeLessThan(500);
  });

  test('outputs the console URL', () => {
    withDomain.identity.hasOutput('ConsoleUrl', { Value: `https://${CUSTOM_DOMAIN.domainName}/console/` });
  });

  test('cdk-nag AwsSolutions reports nothing unacknowledged, with and without a custom domain', () => {
    expect(plain.findings).toEqual([]);
    expect(withDomain.findings).toEqual([]);
  });
});
