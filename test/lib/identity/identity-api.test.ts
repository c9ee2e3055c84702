import { Match } from 'aws-cdk-lib/assertions';
import { AUTHORIZER_ENV } from '@/lambdas/auth/authorizer-env';
import { handlerFiles, ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { API_STAGE_NAME, AUTHORIZER_HANDLER, functionId, validateRoutes } from '@/lib/identity/identity-api';
import { BEARER_ROUTE, identityFixture, logicalIdOf } from './identity-fixture';

const { template } = identityFixture();
const withBearer = identityFixture({ routes: [...ROUTES, BEARER_ROUTE] });

const apiRef = () => ({ Ref: logicalIdOf(template, 'AWS::ApiGateway::RestApi') });

describe('IdentityApi REST API', () => {
  test('is a REGIONAL REST API', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'staxid',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test(`deploys stage "${API_STAGE_NAME}" with throttling from the config, X-Ray, metrics and error logs, never bodies`, () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: API_STAGE_NAME,
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          MetricsEnabled: true,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        },
      ],
    });
  });

  test('writes JSON access logs with the standard fields and the authorizer error to its own log group', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    const setting = stage?.Properties.AccessLogSetting;
    const accessLogGroups = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) =>
      id.startsWith('ApiAccessLogs'),
    );
    expect(accessLogGroups).toHaveLength(1);
    expect(setting.DestinationArn).toEqual({ 'Fn::GetAtt': [accessLogGroups[0], 'Arn'] });
    const format = JSON.parse(setting.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.caller',
      user: '$context.identity.user',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      authorizerError: '$context.authorizer.error',
    });
  });

  test('sets the account-level CloudWatch role that API Gateway logging needs, and keeps it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        }),
      }),
    });
  });

  test('has a request validator for bodies and parameters on every method', () => {
    const validator = logicalIdOf(template, 'AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(ROUTES.length);
    for (const method of methods) expect(method.Properties.RequestValidatorId).toEqual({ Ref: validator });
  });
});

describe('IdentityApi routes', () => {
  test.each(ROUTES.map((route) => [route.operationId, route] as const))(
    '%s is a method with its auth, on the function of its handler file',
    (_, route) => {
      // A handler file serving several routes is one function, described by its first route.
      const first = ROUTES.find((candidate) => candidate.handler === route.handler) ?? route;
      const fnId = logicalIdOf(template, 'AWS::Lambda::Function', {
        Description: `staxid: ${first.method} ${first.path}`,
      });
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: route.method,
        OperationName: route.operationId,
        AuthorizationType: route.auth === 'none' ? 'NONE' : 'CUSTOM',
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [fnId, 'Arn'] }])] }),
        }),
      });
    },
  );

  test('builds one function per handler file plus the authorizer, the two Cognito triggers, the audit shipper, the deploy-time SAML certificate resource, the two of session revocation and the three of permission-set deployment', () => {
    template.resourceCountIs('AWS::Lambda::Function', handlerFiles().length + 10);
    withBearer.template.resourceCountIs('AWS::Lambda::Function', handlerFiles().length + 10);
  });

  test('creates the resources of every path, nested', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', {
      PathPart: 'health',
      ParentId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'openapi.json' });
    const users = logicalIdOf(withBearer.template, 'AWS::ApiGateway::Resource', { PathPart: 'users' });
    withBearer.template.hasResourceProperties('AWS::ApiGateway::Resource', {
      PathPart: '{user_id}',
      ParentId: { Ref: users },
    });
  });

  test('puts the Lambda authorizer on a bearer route', () => {
    const t = withBearer.template;
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      OperationName: BEARER_ROUTE.operationId,
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: logicalIdOf(t, 'AWS::ApiGateway::Authorizer') },
    });
  });

  test('puts the authorizer on bearer routes only', () => {
    const bearer = new Set(
      [...ROUTES, BEARER_ROUTE].filter((route) => route.auth === 'bearer').map((route) => route.operationId),
    );
    expect(bearer.size).toBeGreaterThan(1);
    for (const method of Object.values(withBearer.template.findResources('AWS::ApiGateway::Method'))) {
      const { OperationName, AuthorizerId, AuthorizationType } = method.Properties;
      const expected = bearer.has(OperationName) ? 'CUSTOM' : 'NONE';
      expect({ OperationName, AuthorizationType, hasAuthorizer: AuthorizerId !== undefined }).toEqual({
        OperationName,
        AuthorizationType: expected,
        hasAuthorizer: expected === 'CUSTOM',
      });
    }
  });

  test('lets API Gateway invoke each function only from its own method (no test-invoke grant)', () => {
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'apigateway.amazonaws.com' },
      }),
    );
    // One per method, one for the authorizer.
    expect(permissions).toHaveLength(ROUTES.length + 1);
    const sources = permissions.map((permission) => JSON.stringify(permission.Properties.SourceArn));
    expect(sources.filter((source) => source.includes('test-invoke-stage'))).toEqual([]);
  });
});

describe('IdentityApi authorizer', () => {
  test('is a TOKEN authorizer on the Authorization header with a short cache', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 30,
      RestApiId: apiRef(),
    });
    const ttl = Object.values(template.findResources('AWS::ApiGateway::Authorizer'))[0]?.Properties
      .AuthorizerResultTtlInSeconds;
    expect(ttl).toBeLessThanOrEqual(60);
  });

  test('lets only bearer-shaped headers reach the function', () => {
    const expression = Object.values(template.findResources('AWS::ApiGateway::Authorizer'))[0]?.Properties
      .IdentityValidationExpression;
    const regex = new RegExp(expression);
    expect(regex.test('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl')).toBe(true);
    expect(regex.test('Basic dXNlcjpwYXNz')).toBe(false);
    expect(regex.test('Bearer not-a-jwt')).toBe(false);
  });

  test('runs authorizer.ts with the Cognito issuer and console client id', () => {
    const poolId = logicalIdOf(template, 'AWS::Cognito::UserPool');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'staxid: verifies bearer tokens for API Gateway',
      Timeout: 5,
      Environment: {
        Variables: Match.objectLike({
          [AUTHORIZER_ENV.cognitoIssuer]: {
            'Fn::Join': [
              '',
              ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }],
            ],
          },
          [AUTHORIZER_ENV.cognitoClientId]: { Ref: logicalIdOf(template, 'AWS::Cognito::UserPoolClient') },
        }),
      },
    });
  });
});

describe('IdentityApi gateway responses', () => {
  const responses = template.findResources('AWS::ApiGateway::GatewayResponse');
  const byType = (type: string) => {
    const found = Object.values(responses).filter((response) => response.Properties.ResponseType === type);
    expect(found).toHaveLength(1);
    return found[0]?.Properties;
  };

  test.each([
    ['UNAUTHORIZED', '401'],
    ['ACCESS_DENIED', '403'],
    ['MISSING_AUTHENTICATION_TOKEN', '404'],
    ['DEFAULT_5XX', undefined],
  ])('%s answers %s with a Stax error body', (type, status) => {
    const response = byType(type);
    expect(response.StatusCode).toBe(status);
    const body = JSON.parse(response.ResponseTemplates['application/json']);
    expect(Object.keys(body).filter((key) => key !== 'Error' && key !== 'Cause')).toEqual([]);
    expect(typeof body.Error).toBe('string');
  });

  test("DEFAULT_4XX passes API Gateway's own message through as the Error", () => {
    expect(byType('DEFAULT_4XX').ResponseTemplates).toEqual({
      'application/json': '{"Error":$context.error.messageString}',
    });
  });

  test('DEFAULT_5XX reveals nothing but the request id', () => {
    expect(JSON.parse(byType('DEFAULT_5XX').ResponseTemplates['application/json'])).toEqual({
      Error: 'Internal server error',
      Cause:
        'Request $context.requestId failed; retry later, or report the request id to your staxid operators',
    });
  });

  test('every gateway response carries the security headers; 401 says Bearer', () => {
    for (const response of Object.values(responses)) {
      expect(response.Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Cache-Control': "'no-store'",
        'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
        'gatewayresponse.header.Strict-Transport-Security': "'max-age=63072000; includeSubDomains'",
      });
    }
    expect(byType('UNAUTHORIZED').ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe(
      "'Bearer'",
    );
  });
});

describe('validateRoutes', () => {
  const route = (overrides: Partial<RouteDefinition>): RouteDefinition => ({ ...BEARER_ROUTE, ...overrides });

  test.each([
    [
      'a duplicate method and path',
      [route({}), route({ operationId: 'Again' })],
      'Route GET /test/bearer/{thing_id} (Again) is defined twice in the route table',
    ],
    [
      'a relative path',
      [route({ path: 'users' })],
      'Route TestBearerRoute: path must start with "/" (got "users")',
    ],
    [
      'the authorizer as a handler',
      [route({ handler: AUTHORIZER_HANDLER })],
      'Route TestBearerRoute: lambdas/auth/authorizer.ts is the authorizer, not a route handler',
    ],
    [
      'two handlers with one construct id',
      [
        route({ handler: 'lambdas/users/read-user.ts' }),
        route({ path: '/x', handler: 'lambdas/users/read_user.ts' }),
      ],
      'Handlers "lambdas/users/read-user.ts" and "lambdas/users/read_user.ts" would share the construct id UsersReadUserFunction',
    ],
  ])('refuses %s', (_, routes, message) => {
    expect(() => validateRoutes(routes)).toThrow(new Error(message));
  });

  test('accepts the real route table', () => {
    expect(() => validateRoutes(ROUTES)).not.toThrow();
  });
});

describe('functionId', () => {
  test.each([
    ['lambdas/meta/health.ts', 'MetaHealthFunction'],
    ['lambdas/auth/authorizer.ts', 'AuthAuthorizerFunction'],
    ['lambdas/users/read-user.ts', 'UsersReadUserFunction'],
    ['lambdas/well-known/jwks.ts', 'WellKnownJwksFunction'],
  ])('%s -> %s', (handler, id) => {
    expect(functionId(handler)).toBe(id);
  });
});

describe('path variables', () => {
  test('one variable name per path level, as API Gateway requires: the first route listed names it', () => {
    const resources = Object.values(template.findResources('AWS::ApiGateway::Resource'));
    const variablesByParent = new Map<string, Set<string>>();
    for (const resource of resources) {
      const part = resource.Properties.PathPart as string;
      if (!part.startsWith('{')) continue;
      const parent = JSON.stringify(resource.Properties.ParentId);
      variablesByParent.set(parent, (variablesByParent.get(parent) ?? new Set()).add(part));
    }
    for (const names of variablesByParent.values()) expect(names.size).toBe(1);
    expect(resources.some((resource) => resource.Properties.PathPart === '{org_id}')).toBe(false);
  });
});
