import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { CALLER_CONTEXT } from '@/lambdas/shared/caller-context';
import { AuditWriteError, DomainError, UnauthorizedError, ValidationError } from '@/lambdas/shared/errors';
import { json } from '@/lambdas/shared/http';
import { logger as defaultLogger, errorFields, type Logger } from '@/lambdas/shared/logger';
import { assertAllowed, type Caller, OPERATION_ACCESS, type OperationId } from '@/lambdas/shared/permissions';
import { isStaxRole } from '@/lambdas/shared/roles';
import { assertMatchesSchema, type RequestValidator } from '@/lambdas/shared/spec-validator';

/**
 * The HTTP pipeline every API handler runs through, as middy middlewares:
 * caller → authorization → JSON body → schema validation → handler, with the error
 * mapper turning any thrown error into the spec's `{"Error": "..."}` body (or, for the
 * permission-sets API, its `{"Error": {"Code", "Message"}}`: see ErrorFormat).
 *
 * Handlers stay thin: they receive an `ApiRequest` and return an `ApiResponse`; no
 * API Gateway types reach domain code.
 */

/** The parts of a request domain code needs, already authenticated, authorized and validated. */
export interface ApiRequest<Body = unknown> {
  readonly caller: Caller;
  readonly body: Body;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly requestId: string;
}

export interface ApiResponse {
  /** @default 200 */
  readonly status?: number;
  /** Sent as JSON; with `contentType`, the finished text sent as is (an HTML page, an XML document). */
  readonly body: unknown;
  /** For a body that is not JSON. @default 'application/json' */
  readonly contentType?: string;
  /** Headers added to, or replacing, the security headers every response carries. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationOptions<Body = unknown> {
  readonly operationId: OperationId;
  /**
   * The precompiled validator of the spec schema the JSON body must match (imported by name
   * from lambdas/shared/generated/request-validators.ts); without it (nor `parseBody`), a
   * body is refused.
   */
  readonly requestSchema?: RequestValidator;
  /**
   * For a body outside the Stax spec: checks the parsed JSON, `undefined` when the request
   * has none (throwing a ValidationError that names the field), and returns it typed.
   * Ignored when `requestSchema` is given.
   */
  readonly parseBody?: (body: unknown) => Body;
  /** @default the shared JSON logger */
  readonly logger?: Logger;
  /** The error body of the operation's spec. @default 'identity' */
  readonly errorFormat?: ErrorFormat;
}

/**
 * The error body each Stax spec defines: the identity API (/20190206) sends `{"Error": "..."}`,
 * the permission-sets API (/20210321) `{"Error": {"Code": <HTTP status>, "Message": "..."}}`.
 */
export type ErrorFormat = 'identity' | 'permission-sets';

/** An error response body in `format`. */
export function errorBody(format: ErrorFormat, status: number, message: string) {
  return format === 'identity' ? { Error: message } : { Error: { Code: status, Message: message } };
}

export { CALLER_CONTEXT };

interface PipelineState extends Record<string, unknown> {
  caller?: Caller;
  body?: unknown;
}

type ApiEvent = APIGatewayProxyEvent & { staxid?: PipelineState };

/** Reads the caller the authorizer resolved; a request without one never reaches domain code. */
export function callerFromEvent(event: APIGatewayProxyEvent): Caller {
  const context = event.requestContext.authorizer ?? {};
  const kind = context[CALLER_CONTEXT.kind];
  const id = context[CALLER_CONTEXT.id];
  const role = context[CALLER_CONTEXT.role];
  if ((kind !== 'user' && kind !== 'token') || typeof id !== 'string' || id === '')
    throw new UnauthorizedError();
  if (typeof role !== 'string' || !isStaxRole(role)) throw new UnauthorizedError();
  return { kind, id, role };
}

/** The largest request body the API accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Parses a JSON body; empty bodies are `undefined`. */
export function parseJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ValidationError(
      'Body',
      `is larger than ${MAX_BODY_BYTES / 1024} KiB: send less data per request`,
    );
  }
  const contentType = headerValue(event, 'content-type');
  if (contentType !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new ValidationError(
      'Content-Type',
      `must be application/json (got ${JSON.stringify(contentType)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('Body', 'is not valid JSON: check quotes, commas and brackets');
  }
}

function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

function state(event: ApiEvent): PipelineState {
  event.staxid ??= {};
  return event.staxid;
}

const resolveCaller = (): MiddlewareObj<ApiEvent, APIGatewayProxyResult> => ({
  before: (request) => {
    state(request.event).caller = callerFromEvent(request.event);
  },
});

const authorize = (operationId: OperationId): MiddlewareObj<ApiEvent, APIGatewayProxyResult> => ({
  before: (request) => {
    const caller = state(request.event).caller;
    if (!caller) throw new UnauthorizedError();
    // `admin-or-self` operations are narrowed by the handler, which knows the target user.
    if (OPERATION_ACCESS[operationId] !== 'admin-or-self') assertAllowed(operationId, caller);
  },
});

const validateBody = (
  schema: RequestValidator | undefined,
  parseBody: ((body: unknown) => unknown) | undefined,
): MiddlewareObj<ApiEvent, APIGatewayProxyResult> => ({
  before: (request) => {
    const body = parseJsonBody(request.event);
    if (schema === undefined && parseBody !== undefined) {
      state(request.event).body = parseBody(body);
      return;
    }
    if (schema === undefined) {
      // `{}` is what many clients send when there is nothing to send: accept it as no body.
      if (body !== undefined && !isEmptyObject(body)) {
        throw new ValidationError('Body', 'this operation takes no request body: remove it');
      }
      return;
    }
    if (body === undefined) throw new ValidationError('Body', 'is required: send a JSON object');
    assertMatchesSchema(schema, body);
    state(request.event).body = body;
  },
});

/** Maps every error to a response. The only place domain errors become HTTP statuses. */
export const errorMapper = (
  log: Logger,
  format: ErrorFormat = 'identity',
): MiddlewareObj<ApiEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    const { error } = request;
    const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
    if (error instanceof DomainError) {
      if (error.status >= 500) log.error('request failed', { requestId, ...errorFields(error) });
      request.response = json(error.status, errorBody(format, error.status, error.message));
      return;
    }
    if (error instanceof AuditWriteError) {
      log.error('audit write failed: request refused', { requestId, ...errorFields(error.cause) });
      request.response = json(
        503,
        errorBody(
          format,
          503,
          `Nothing was changed: the change could not be audited. Try again later (request id ${requestId})`,
        ),
      );
      return;
    }
    log.error('unexpected error', { requestId, ...errorFields(error) });
    request.response = json(
      500,
      errorBody(format, 500, `Internal error: quote request id ${requestId} to your administrator`),
    );
  },
});

/** Wraps an authenticated operation in the pipeline. */
export function apiHandler<Body = unknown>(
  options: OperationOptions<Body>,
  handle: (request: ApiRequest<Body>) => Promise<ApiResponse>,
) {
  const log = options.logger ?? defaultLogger;
  return middy<ApiEvent, APIGatewayProxyResult, Error, Context>()
    .use(errorMapper(log, options.errorFormat))
    .use(resolveCaller())
    .use(authorize(options.operationId))
    .use(validateBody(options.requestSchema, options.parseBody))
    .handler(async (event) => {
      const { caller, body } = state(event);
      if (!caller) throw new UnauthorizedError();
      const response = await handle({
        caller,
        body: body as Body,
        pathParameters: definedValues(event.pathParameters),
        query: definedValues(event.queryStringParameters),
        requestId: event.requestContext.requestId,
      });
      return toResult(response);
    });
}

/** Wraps a public operation (no caller) in the same error handling. */
export function publicHandler(
  handle: (event: APIGatewayProxyEvent) => Promise<ApiResponse>,
  log: Logger = defaultLogger,
  format: ErrorFormat = 'identity',
) {
  return middy<ApiEvent, APIGatewayProxyResult, Error, Context>()
    .use(errorMapper(log, format))
    .handler(async (event) => {
      return toResult(await handle(event));
    });
}

/** The proxy result of a handler's response: JSON, or text of its own content type. */
function toResult(response: ApiResponse): APIGatewayProxyResult {
  const status = response.status ?? 200;
  const headers = { ...response.headers };
  if (response.contentType === undefined) return json(status, response.body, headers);
  if (typeof response.body !== 'string') {
    throw new TypeError(`a ${response.contentType} response needs its finished text as body`);
  }
  return { ...json(status, null, { ...headers, 'Content-Type': response.contentType }), body: response.body };
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}

function definedValues(values: Record<string, string | undefined> | null): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) if (value !== undefined) result[key] = value;
  return result;
}
