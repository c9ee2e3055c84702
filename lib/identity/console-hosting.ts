import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CfnElement,
  DefaultStackSynthesizer,
  DockerImage,
  Duration,
  NestedStack,
  RemovalPolicy,
  type SecretValue,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type { RouteDefinition } from '@/lambdas/routes';
import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';
import { EDGE_SECRET_HEADER, VIEWER_IP_HEADER } from '@/lib/identity/api-web-acl';
import { REPO_ROOT } from '@/lib/identity/staxid-function';

/** The path the console is served under, on the API's origin as in local mode (ADR 0019). */
export const CONSOLE_PATH = '/console/';

/** The console's sources: a vite project whose build (`dist/`) is not kept in git. */
export const CONSOLE_SOURCE_DIR = join(REPO_ROOT, 'console');

/** `/console/config.json` in AWS: the shape `console/src/auth.ts` reads (`AwsConsoleConfig`). */
export interface AwsConsoleConfig {
  readonly mode: 'aws';
  readonly region: string;
  readonly userPoolClientId: string;
  /** `https://<domainPrefix>.auth.<region>.amazoncognito.com` */
  readonly hostedUiUrl: string;
}

/** The console's own domain name and its us-east-1 ACM certificate (`identity.console`). */
export interface ConsoleDomain {
  readonly domainName: string;
  readonly certificateArn: string;
}

export interface ConsoleHostingProps {
  /** The Cognito hosted UI the page signs in through, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly hostedUiUrl: string;
  /** @default - the distribution's own `*.cloudfront.net` name, with CloudFront's certificate */
  readonly domain?: ConsoleDomain;
  /** Days the CloudFront and S3 access logs are kept. */
  readonly logRetentionDays: number;
}

/**
 * The console in AWS (ADR 0019): its built files in a private S3 bucket, read by CloudFront
 * through Origin Access Control, on one origin with the REST API so the page calls the API
 * without CORS. CloudFront adds the page's security headers, as the local server does.
 *
 * The resources live in nested stacks, so that the Identity stack, near CloudFormation's
 * 500-resource limit, gains one resource per nested stack. `config.json` is a second nested
 * stack (`writeConfig`): it names the console app client, whose callback URLs name this
 * distribution, so it cannot be deployed with the distribution without a cycle.
 */
export class ConsoleHosting extends Construct {
  /** Holds the built console under `console/`. */
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<console domain>`, without a trailing slash. */
  readonly origin: string;
  /** The nested stack of the bucket, the distribution and the built files. */
  readonly site: NestedStack;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    this.site = new NestedStack(this, 'Site', {
      description: 'staxid console: S3 bucket and CloudFront distribution (ADR 0019)',
    });
    const logs = logBucket(this.site, props.logRetentionDays);
    this.bucket = new Bucket(this.site, 'Files', {
      bucketName: consoleBucketName(Stack.of(this)),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      // Old builds are kept a week for a rollback by hand, then go.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.distribution = new Distribution(this.site, 'Distribution', {
      comment: 'staxid console and API, one origin',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: pageHeaders(this.site, props.hostedUiUrl),
        functionAssociations: [
          { eventType: FunctionEventType.VIEWER_REQUEST, function: pageRequestFunction(this.site) },
        ],
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      ...(props.domain && {
        domainNames: [props.domain.domainName],
        minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
        certificate: Certificate.fromCertificateArn(this.site, 'Certificate', props.domain.certificateArn),
      }),
    });
    this.origin = `https://${props.domain?.domainName ?? this.distribution.distributionDomainName}`;
    acknowledgeDistributionFindings(this.distribution, props.domain !== undefined);

    const built = consoleSource();
    const bucketResource = `<${logicalIdOf(this.bucket)}.Arn>`;
    // Hashed assets never change under their name; the page is checked at every load.
    deployFiles(this.site, 'Assets', {
      bucket: this.bucket,
      bucketResource,
      source: built,
      exclude: ['index.html', 'config.json'],
      cacheControl: 'public, max-age=31536000, immutable',
    });
    deployFiles(this.site, 'Page', {
      bucket: this.bucket,
      bucketResource,
      source: built,
      exclude: ['*'],
      include: ['index.html'],
      cacheControl: 'no-cache',
    });
  }

  /**
   * Sends every path the REST API serves (one behaviour per top-level segment of `routes`)
   * to the API's stage, uncached and with all the viewer's headers but Host. The origin is
   * named by the API id, not its URL: the URL references the deployment, which depends on
   * the authorizer and through it on the console app client, which depends on this distribution.
   *
   * Every API request gets the viewer's IP (`VIEWER_IP_HEADER`, by a viewer-request function)
   * and the edge secret (`EDGE_SECRET_HEADER`, an origin custom header), each replacing what
   * the viewer sent, so that the API's web ACL limits each viewer, not each edge address.
   * Returns the edge secret's value for that web ACL: a dynamic reference, resolved by
   * CloudFormation at deployment, in neither the source nor the template.
   */
  routeApi(
    api: { readonly restApiId: string },
    stageName: string,
    routes: readonly RouteDefinition[],
  ): SecretValue {
    const stack = Stack.of(this.site);
    const edgeSecret = new Secret(this.site, 'EdgeSecret', {
      description:
        "staxid: CloudFront's proof to the API web ACL that a request came through the console's distribution",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(edgeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFormation reads the edge secret into the distribution and the web ACL at deployment only; a rotation would reach neither. A leaked value only lets its holder choose the per-viewer rate limit (ADR 0019).',
    });
    const origin = new HttpOrigin(`${api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      originPath: `/${stageName}`,
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
      customHeaders: { [EDGE_SECRET_HEADER]: edgeSecret.secretValue.unsafeUnwrap() },
    });
    const viewerIp = apiRequestFunction(this.site);
    for (const pattern of apiPathPatterns(routes)) {
      // The API sends its own security headers (its SAML sign-in page has its own policy).
      this.distribution.addBehavior(pattern, origin, {
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [{ eventType: FunctionEventType.VIEWER_REQUEST, function: viewerIp }],
      });
    }
    return edgeSecret.secretValue;
  }

  /**
   * Writes `console/config.json`, never cached, in a nested stack of its own: it names the
   * app client, which names this distribution (its callback URL).
   */
  writeConfig(config: AwsConsoleConfig): NestedStack {
    const stack = new NestedStack(this, 'Config', {
      description: "staxid console: config.json, the page's sign-in settings (ADR 0019)",
    });
    // By its fixed name, not a reference: one nested stack does not reach into the other.
    const bucketName = consoleBucketName(Stack.of(this));
    deployFiles(stack, 'File', {
      bucket: Bucket.fromBucketName(stack, 'Files', bucketName),
      bucketResource: `arn:<AWS::Partition>:s3:::${bucketName}`,
      source: Source.jsonData('config.json', config),
      cacheControl: 'no-store',
      // The other deployments leave config.json alone; this one leaves them alone.
      prune: false,
    });
    return stack;
  }
}

/** The console bucket's name: fixed, so that the config.json stack names it without a reference. */
export function consoleBucketName(stack: Stack): string {
  return `staxid-console-${stack.account}-${stack.region}`;
}

function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild;
  if (!(element instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(element).getLogicalId(element);
}

/** The Cognito hosted UI's base URL for a domain prefix. */
export function hostedUiUrl(domainPrefix: string, region: string): string {
  return `https://${domainPrefix}.auth.${region}.amazoncognito.com`;
}

/**
 * The page's Content-Security-Policy, as `local/console.ts` sends it: only its own files;
 * calls to the API (same origin) and the hosted UI (its token and revoke endpoints: the page
 * in AWS never calls the user pool's API, so that origin is not allowed); forms to itself and
 * AWS's SAML sign-in endpoint (the AWS sign-in button).
 */
export function consoleContentSecurityPolicy(hostedUi: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${hostedUi}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    `form-action 'self' ${AWS_SAML_SIGNIN_URL}`,
  ].join('; ');
}

/**
 * The CloudFront path patterns of the API: `/<segment>/*` for each first path segment with
 * routes below it, `/<segment>` for a route that is the segment itself (`/health`).
 */
export function apiPathPatterns(routes: readonly RouteDefinition[]): string[] {
  const patterns = new Set<string>();
  for (const { path } of routes) {
    const [, first, ...rest] = path.split('/');
    patterns.add(rest.length > 0 ? `/${first}/*` : `/${first}`);
  }
  return [...patterns].sort();
}

/**
 * The viewer-request function of the page: `/` and `/console` send the browser to
 * `/console/`; a path under it without a file extension is the page (hash routes need no
 * more), so `/console/` and `/console/?code=...` (the hosted UI's return) read index.html.
 * It stands in for a default root object, which CloudFront applies to `/` only.
 */
export const PAGE_REQUEST_FUNCTION = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (uri.indexOf('${CONSOLE_PATH}') === 0 && uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = '${CONSOLE_PATH}index.html';
  }
  return request;
}`;

/**
 * The viewer-request function of the API behaviours: the viewer's IP address in
 * `VIEWER_IP_HEADER`, replacing any value the viewer sent. Not `CloudFront-Viewer-Address`:
 * its value carries the connection's source port (`198.51.100.10:46532`, IPv6 unbracketed),
 * so it names a connection rather than a viewer, and an IPv6 address with a port is ambiguous.
 */
export const API_REQUEST_FUNCTION = `function handler(event) {
  var request = event.request;
  request.headers['${VIEWER_IP_HEADER}'] = { value: event.viewer.ip };
  return request;
}`;

function apiRequestFunction(scope: Construct): EdgeFunction {
  return new EdgeFunction(scope, 'ApiRequest', {
    comment: "staxid API: the viewer's IP for the API web ACL's rate limit",
    runtime: FunctionRuntime.JS_2_0,
    code: FunctionCode.fromInline(API_REQUEST_FUNCTION),
  });
}

function pageRequestFunction(scope: Construct): EdgeFunction {
  return new EdgeFunction(scope, 'PageRequest', {
    comment: 'staxid console: / to /console/, pages to index.html',
    runtime: FunctionRuntime.JS_2_0,
    code: FunctionCode.fromInline(PAGE_REQUEST_FUNCTION),
  });
}

function pageHeaders(scope: Construct, hostedUi: string): ResponseHeadersPolicy {
  return new ResponseHeadersPolicy(scope, 'PageHeaders', {
    comment: 'staxid console: the page security headers',
    securityHeadersBehavior: {
      contentSecurityPolicy: {
        contentSecurityPolicy: consoleContentSecurityPolicy(hostedUi),
        override: true,
      },
      strictTransportSecurity: {
        accessControlMaxAge: Duration.days(730),
        includeSubdomains: true,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
    },
  });
}

/** CloudFront's and S3's access logs. CloudFront's standard logs need object ACLs. */
function logBucket(scope: Construct, retentionDays: number): Bucket {
  const bucket = new Bucket(scope, 'AccessLogs', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.OBJECT_WRITER,
    lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket holds the access logs of the console bucket and distribution; logging it would log itself.',
  });
  return bucket;
}

function acknowledgeDistributionFindings(distribution: Distribution, customDomain: boolean): void {
  Validations.of(distribution).acknowledge({
    id: 'AwsSolutions-CFR1',
    reason:
      'The console serves everyone the organization admits wherever they are; sign-in is the control, not geography.',
  });
  Validations.of(distribution).acknowledge({
    id: 'AwsSolutions-CFR2',
    reason:
      'A CloudFront web ACL must be created in us-east-1 and the stack is in the configured region. The API behind it keeps its regional web ACL on the stage; the console files are static (ADR 0019).',
  });
  if (!customDomain) {
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        "Without identity.console.domainName the distribution uses CloudFront's own *.cloudfront.net certificate, whose TLS policy CloudFront sets; with a custom domain TLSv1.2_2021 is the minimum.",
    });
  }
}

/** `console/` built by vite at synth; skipped, like every bundling, in stacks not bundled (tests). */
function consoleSource(): ISource {
  return Source.asset(CONSOLE_SOURCE_DIR, {
    exclude: ['dist', 'node_modules'],
    bundling: {
      // Never used: the local build below always succeeds or throws.
      image: DockerImage.fromRegistry('node:20'),
      local: {
        tryBundle(outputDir: string): boolean {
          const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
          execFileSync(
            process.execPath,
            [vite, 'build', CONSOLE_SOURCE_DIR, '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'],
            { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
          );
          return true;
        },
      },
    },
  });
}

/** The wildcard actions of CDK's BucketDeployment grants (read the asset, write and prune the bucket). */
const COPYING_ACTIONS = ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'];

/**
 * Acknowledges the findings on CDK's copying function (one per stack): its managed logging
 * policy, its runtime, and the wildcards of its grant on the CDK asset bucket and on the
 * console bucket (`bucketResource`, as cdk-nag prints it), no other.
 */
function acknowledgeCopyingFunction(handler: IConstruct, bucketResource: string): void {
  const stack = Stack.of(handler);
  // DEFAULT_FILE_ASSETS_BUCKET_NAME, its placeholders filled: cdk-<qualifier>-assets-<account>-<region>
  const assetBucket = `cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${stack.account}-${stack.region}`;
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's BucketDeployment function writes its logs through AWSLambdaBasicExecutionRole; it runs at deploy time only.",
  });
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-L1',
    reason: "CDK's BucketDeployment function: its runtime is chosen by aws-cdk-lib and moves with it.",
  });
  const wildcards = [
    ...COPYING_ACTIONS.map((action) => `Action::${action}`),
    `Resource::arn:<AWS::Partition>:s3:::${assetBucket}/*`,
    `Resource::${bucketResource}/*`,
  ];
  for (const wildcard of wildcards) {
    Validations.of(handler).acknowledge({
      id: `AwsSolutions-IAM5[${wildcard}]`,
      reason:
        "CDK's BucketDeployment grant: read the build from the CDK asset bucket, write and prune the console's objects; no other bucket.",
    });
  }
}

interface DeployFilesOptions {
  readonly bucket: IBucket;
  /** The bucket's ARN as cdk-nag prints it in this stack. */
  readonly bucketResource: string;
  readonly source: ISource;
  readonly cacheControl: string;
  readonly include?: string[];
  readonly exclude?: string[];
  /** @default true: files under `console/` that the source lacks are deleted, unless excluded */
  readonly prune?: boolean;
}

function deployFiles(scope: Construct, id: string, options: DeployFilesOptions): BucketDeployment {
  const deployment = new BucketDeployment(scope, id, {
    sources: [options.source],
    destinationBucket: options.bucket,
    destinationKeyPrefix: CONSOLE_PATH.slice(1),
    cacheControl: [CacheControl.fromString(options.cacheControl)],
    ...(options.include && { include: options.include }),
    ...(options.exclude && { exclude: options.exclude }),
    prune: options.prune ?? true,
  });
  // CDK's copying function (one per stack): the role, its policy and the function itself.
  const handler = deployment.handlerRole.node.scope;
  if (handler) acknowledgeCopyingFunction(handler, options.bucketResource);
  return deployment;
}
