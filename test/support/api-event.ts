import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { CALLER_CONTEXT } from '@/lambdas/shared/api';
import type { Caller } from '@/lambdas/shared/permissions';

/**
 * API Gateway proxy events for handler tests, shaped as the REST API sends them after
 * the Lambda authorizer has resolved the caller.
 */
export interface ApiEventInput {
  readonly method?: string;
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The caller the authorizer resolved; `null` for a request with no authorizer context. */
  readonly caller?: Caller | null;
}

export function apiEvent(input: ApiEventInput = {}): APIGatewayProxyEvent {
  const body =
    input.body === undefined
      ? null
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  const headers = { ...(body !== null && { 'Content-Type': 'application/json' }), ...input.headers };
  const caller = input.caller;
  return {
    httpMethod: input.method ?? 'GET',
    path: input.path ?? '/',
    resource: input.path ?? '/',
    body,
    isBase64Encoded: false,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
    pathParameters: input.pathParameters ?? null,
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: input.query
      ? Object.fromEntries(Object.entries(input.query).map(([key, value]) => [key, [value]]))
      : null,
    stageVariables: null,
    requestContext: {
      accountId: '222222222222',
      apiId: 'test',
      authorizer: caller
        ? {
            principalId: caller.id,
            [CALLER_CONTEXT.kind]: caller.kind,
            [CALLER_CONTEXT.id]: caller.id,
            [CALLER_CONTEXT.role]: caller.role,
          }
        : null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method ?? 'GET',
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: input.path ?? '/',
      stage: 'test',
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'test',
      resourcePath: input.path ?? '/',
    },
  };
}

export const lambdaContext = {
  awsRequestId: 'test-request',
  functionName: 'test',
  callbackWaitsForEmptyEventLoop: false,
} as Context;

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Invokes a handler and parses its JSON body. */
export async function invoke(
  handler: ProxyHandler,
  input: ApiEventInput,
): Promise<{ status: number; body: unknown; headers: APIGatewayProxyResult['headers'] }> {
  const result = await handler(apiEvent(input), lambdaContext);
  return {
    status: result.statusCode,
    body: result.body === '' ? undefined : JSON.parse(result.body),
    headers: result.headers,
  };
}

export const ADMIN: Caller = {
  kind: 'user',
  id: '00000000-0000-4000-8000-000000000001',
  role: 'customer_admin',
};
export const USER: Caller = {
  kind: 'user',
  id: '00000000-0000-4000-8000-000000000002',
  role: 'customer_user',
};
export const READONLY: Caller = {
  kind: 'user',
  id: '00000000-0000-4000-8000-000000000003',
  role: 'customer_readonly',
};
export const API_ADMIN: Caller = {
  kind: 'token',
  id: '00000000-0000-4000-8000-000000000004',
  role: 'api_admin',
};
