import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type RequestValidator,
  ResponseType,
  RestApi,
  TokenAuthorizer,
} from 'aws-cdk-lib/aws-apigateway';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUTHORIZER_ENV } from '@/lambdas/auth/authorizer-env';
import type { RouteDefinition } from '@/lambdas/routes';
import { StaxidFunction } from '@/lib/identity/staxid-function';

/** The handler file of the Lambda authorizer, relative to the repository root. */
export const AUTHORIZER_HANDLER = 'lambdas/auth/authorizer.ts';

/** The API stage: the first path segment of every execute-api URL. */
export const API_STAGE_NAME = 'v1';

/** How long API Gateway caches an authorizer decision per token. */
export const AUTHORIZER_CACHE_TTL = Duration.seconds(30);

/** The issuer whose access tokens the authorizer accepts (the service's own tokens come later). */
export interface CognitoTokenSource {
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>` */
  readonly issuerUrl: string;
  /** The console app client id. */
  readonly clientId: string;
}

export interface IdentityApiProps {
  /** The routes to serve: one Lambda function per handler file, one method per route. */
  readonly routes: readonly RouteDefinition[];
  /** Steady-state requests per second across the stage. */
  readonly throttlingRateLimit: number;
  /** Burst requests across the stage. */
  readonly throttlingBurstLimit: number;
  /** Retention of the access log and of every function's log. */
  readonly logRetention: RetentionDays;
  /** What the authorizer verifies bearer tokens against. */
  readonly tokenSource: CognitoTokenSource;
  /**
   * A fixed execution-role name for the function of a handler file, where another
   * account's policy must name that role. @default - generated names
   */
  readonly roleNameFor?: (handler: string) => string | undefined;
}

/** Security headers on every gateway-generated response, like those the handlers send. */
const GATEWAY_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': "'no-store'",
  'Strict-Transport-Security': "'max-age=63072000; includeSubDomains'",
  'X-Content-Type-Options': "'nosniff'",
  'Referrer-Policy': "'no-referrer'",
};

/**
 * Error bodies API Gateway itself sends, in the Stax error shape `{"Error": "...", "Cause"?: "..."}`
 * (components.schemas.Error of the core identity spec). 4xx bodies say what was wrong;
 * 5xx bodies say nothing about the inside, only the request id to report.
 */
const GATEWAY_RESPONSES: readonly {
  readonly id: string;
  readonly type: ResponseType;
  readonly statusCode?: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}[] = [
  {
    id: 'Unauthorized',
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    body: '{"Error":"Unauthorized: send a valid, unexpired token as \\"Authorization: Bearer <token>\\""}',
    headers: { 'WWW-Authenticate': "'Bearer'" },
  },
  {
    id: 'AccessDenied',
    type: ResponseType.ACCESS_DENIED,
    statusCode: '403',
    body: '{"Error":"Forbidden: the token does not allow this request"}',
  },
  {
    // API Gateway answers a route it does not have with 403 "Missing Authentication Token".
    id: 'NoSuchRoute',
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    body: '{"Error":"Not found: no such route; see GET /openapi.json for the routes this API serves"}',
  },
  {
    id: 'Default4xx',
    type: ResponseType.DEFAULT_4XX,
    body: '{"Error":$context.error.messageString}',
  },
  {
    id: 'Default5xx',
    type: ResponseType.DEFAULT_5XX,
    body: '{"Error":"Internal server error","Cause":"Request $context.requestId failed; retry later, or report the request id to your staxid operators"}',
  },
];

/**
 * The staxid REST API, built from the route table: one StaxidFunction per handler file,
 * one method per route, the Lambda TOKEN authorizer on every `bearer` route. Throttled
 * and traced, with JSON access logs and Stax-shaped gateway errors.
 */
export class IdentityApi extends Construct {
  readonly api: RestApi;
  /** Every function behind the API (the authorizer included), by handler file. */
  readonly functions: ReadonlyMap<string, StaxidFunction>;
  readonly authorizer: TokenAuthorizer;
  readonly authorizerFunction: StaxidFunction;
  readonly accessLogGroup: LogGroup;
  readonly requestValidator: RequestValidator;

  constructor(scope: Construct, id: string, props: IdentityApiProps) {
    super(scope, id);
    validateRoutes(props.routes);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: 'staxid',
      description: 'staxid: Stax-compatible identity API',
      endpointTypes: [EndpointType.REGIONAL],
      // Access and execution logs need API Gateway's account-level CloudWatch role (see
      // docs/decisions/0003-identity-stack.md); it is kept when the stack is deleted, as
      // other APIs in the account may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      failOnWarnings: true,
      deployOptions: {
        stageName: API_STAGE_NAME,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Never log request or response bodies: they carry tokens and secrets.
        dataTraceEnabled: false,
      },
    });
    // The stack publishes the URL as its own, stably named output (ApiUrl).
    this.api.node.tryRemoveChild('Endpoint');
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role: AWS documents this managed policy for it, and API Gateway creates the execution log groups itself, so their names are not known in advance.",
      });
    }

    for (const response of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        statusCode: response.statusCode,
        templates: { 'application/json': response.body },
        responseHeaders: { ...GATEWAY_RESPONSE_HEADERS, ...response.headers },
      });
    }

    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'staxid-body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    this.authorizerFunction = new StaxidFunction(this, functionId(AUTHORIZER_HANDLER), {
      entry: AUTHORIZER_HANDLER,
      description: 'staxid: verifies bearer tokens for API Gateway',
      logRetention: props.logRetention,
      timeout: Duration.seconds(5),
      environment: {
        [AUTHORIZER_ENV.cognitoIssuer]: props.tokenSource.issuerUrl,
        [AUTHORIZER_ENV.cognitoClientId]: props.tokenSource.clientId,
      },
    });
    this.authorizer = new TokenAuthorizer(this, 'BearerAuthorizer', {
      authorizerName: 'staxid-bearer',
      handler: this.authorizerFunction,
      identitySource: IdentitySource.header('Authorization'),
      // Malformed headers get the 401 from API Gateway without invoking the function.
      validationRegex: '^[Bb]earer [-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+\\.[-0-9A-Za-z_]*$',
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
    // Attach it even while no route is `bearer` (methods attach it again, idempotently), so
    // that the authorizer exists from the first deployment and adding a route is all it takes.
    this.authorizer._attachToApi(this.api);

    const functions = new Map<string, StaxidFunction>([[AUTHORIZER_HANDLER, this.authorizerFunction]]);
    const roles = new ExecutionRoles(this, props.routes);
    for (const route of props.routes) {
      let fn = functions.get(route.handler);
      if (!fn) {
        const roleName = props.roleNameFor?.(route.handler);
        fn = new StaxidFunction(this, functionId(route.handler), {
          entry: route.handler,
          description: `staxid: ${route.method} ${route.path}`,
          logRetention: props.logRetention,
          // A fixed role name is one function's alone; otherwise functions with the same grants share a role.
          ...(roleName ? { roleName } : { executionRole: roles.for(route.handler) }),
        });
        functions.set(route.handler, fn);
      }
      this.addRoute(route, fn);
    }
    this.functions = functions;
  }

  /** Path variable names by the path of their parent resource: API Gateway allows one per level. */
  private readonly variableNames = new Map<string, string>();

  /**
   * The route's path as API Gateway can serve it. The Stax spec names the same path level
   * differently in different operations (`/idam/user/{org_id}` and `/idam/user/{user_id}`),
   * but API Gateway allows a single variable per level: the first name wins, and the
   * handlers of the others read their parameter under it (lambdas/routes.ts keeps the
   * spec's names for the OpenAPI document and the local runtime).
   */
  private apiGatewayPath(path: string): string {
    const segments = path.split('/').filter((segment) => segment !== '');
    let parent = '';
    const result: string[] = [];
    for (const segment of segments) {
      const variable = /^\{([^}+]+)\}$/.exec(segment);
      if (variable?.[1]) {
        const name = this.variableNames.get(parent) ?? variable[1];
        this.variableNames.set(parent, name);
        result.push(`{${name}}`);
      } else {
        result.push(segment);
      }
      parent = `/${result.join('/')}`;
    }
    return `/${result.join('/')}`;
  }

  private addRoute(route: RouteDefinition, fn: StaxidFunction): void {
    const resource = this.api.root.resourceForPath(this.apiGatewayPath(route.path));
    const integration = new LambdaIntegration(fn, { allowTestInvoke: false });
    const method =
      route.auth === 'bearer'
        ? resource.addMethod(route.method, integration, {
            operationName: route.operationId,
            authorizationType: AuthorizationType.CUSTOM,
            authorizer: this.authorizer,
            requestValidator: this.requestValidator,
          })
        : resource.addMethod(route.method, integration, {
            operationName: route.operationId,
            authorizationType: AuthorizationType.NONE,
            requestValidator: this.requestValidator,
          });
    if (route.auth === 'none') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `${route.operationId} (${route.method} ${route.path}) is public by design (auth: none in lambdas/routes.ts): ${route.summary}`,
      });
    }
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        route.auth === 'none'
          ? `${route.operationId} is public by design: no authorizer of any kind.`
          : 'Bearer routes use the Lambda TOKEN authorizer, which verifies Cognito access tokens (pinned RS256, issuer, client_id, token_use) and, later, the API tokens staxid issues itself, which a Cognito user pool authorizer cannot accept.',
    });
  }
}

/** `lambdas/meta/health.ts` -> `MetaHealthFunction`: stable, PascalCase construct ids. */
export function functionId(handler: string): string {
  const words = handler
    .replace(/^lambdas\//, '')
    .replace(/\.ts$/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '');
  return `${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}Function`;
}

/** Refuses a route table API Gateway would reject, naming the offending route. */
export function validateRoutes(routes: readonly RouteDefinition[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key))
      throw new Error(`Route ${key} (${route.operationId}) is defined twice in the route table`);
    seen.add(key);
    if (!route.path.startsWith('/')) {
      throw new Error(`Route ${route.operationId}: path must start with "/" (got "${route.path}")`);
    }
    if (route.handler === AUTHORIZER_HANDLER) {
      throw new Error(
        `Route ${route.operationId}: ${AUTHORIZER_HANDLER} is the authorizer, not a route handler`,
      );
    }
  }
  const ids = new Map<string, string>();
  for (const handler of new Set(routes.map((route) => route.handler))) {
    const id = functionId(handler);
    const other = ids.get(id);
    if (other) throw new Error(`Handlers "${other}" and "${handler}" would share the construct id ${id}`);
    ids.set(id, handler);
  }
}

function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      ip: AccessLogField.contextIdentitySourceIp(),
      caller: AccessLogField.contextIdentityCaller(),
      user: AccessLogField.contextIdentityUser(),
      principalId: AccessLogField.contextAuthorizerPrincipalId(),
      requestTime: AccessLogField.contextRequestTime(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      protocol: AccessLogField.contextProtocol(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      authorizerError: AccessLogField.contextAuthorizerError(),
      authorizerStatus: AccessLogField.contextAuthorizerStatus(),
      errorResponseType: AccessLogField.contextErrorResponseType(),
      wafStatus: AccessLogField.contextWafStatus(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}

/**
 * One execution role per set of route grants (lambdas/routes.ts `grants`), shared by the
 * functions whose routes ask for exactly that set: each function still holds only what its
 * routes need, and the stack stays far below CloudFormation's 500 resources (a role and a
 * policy per function would not, ADR 0003).
 */
class ExecutionRoles {
  private readonly roles = new Map<string, Role>();
  private readonly grantsByHandler = new Map<string, string>();

  constructor(
    private readonly scope: Construct,
    routes: readonly RouteDefinition[],
  ) {
    const grants = new Map<string, Set<string>>();
    for (const route of routes) {
      const set = grants.get(route.handler) ?? new Set<string>();
      for (const grant of route.grants ?? []) set.add(grant);
      grants.set(route.handler, set);
    }
    for (const [handler, set] of grants) this.grantsByHandler.set(handler, [...set].sort().join(' '));
  }

  for(handler: string): Role {
    const signature = this.grantsByHandler.get(handler) ?? '';
    let role = this.roles.get(signature);
    if (!role) {
      role = new Role(this.scope, `ExecutionRole${this.roles.size + 1}`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the staxid API functions granted: ${signature || 'nothing'}`,
      });
      this.roles.set(signature, role);
    }
    return role;
  }
}
