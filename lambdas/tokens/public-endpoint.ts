import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { json } from '@/lambdas/shared/http';
import { errorFields, type Logger } from '@/lambdas/shared/logger';

/**
 * The small pipeline of the public OAuth/discovery endpoints. They do not take the API
 * pipeline (lambdas/shared/api.ts): no caller, no JSON body, and their error bodies follow
 * RFC 6749 rather than the Stax spec, so they stay light (no ajv, no spec in the bundle).
 */

export type PublicEndpoint = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** Any error no earlier middleware answered: a 500 that reveals nothing but the request id. */
export const internalErrors = (log: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    if (request.response) return;
    const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
    log.error('unexpected error', { requestId, ...errorFields(request.error) });
    request.response = json(500, {
      Error: `Internal error: quote request id ${requestId} to your administrator`,
    });
  },
});

export function publicEndpoint(
  handle: PublicEndpoint,
  log: Logger,
  ...middlewares: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>[]
) {
  // middy runs onError from the last middleware to the first: the catch-all goes first.
  let pipeline = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>().use(
    internalErrors(log),
  );
  for (const middleware of middlewares) pipeline = pipeline.use(middleware);
  return pipeline.handler(handle);
}

/** A header's value, whatever case the client sent it in. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === lower && value !== undefined) return value;
  }
  return undefined;
}
