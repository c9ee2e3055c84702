import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  type ApiRequest,
  type ApiResponse,
  callerFromEvent,
  errorMapper,
  parseJsonBody,
} from '@/lambdas/shared/api';
import { json } from '@/lambdas/shared/http';
import { logger } from '@/lambdas/shared/logger';
import { assertAllowed, type OperationId } from '@/lambdas/shared/permissions';

/**
 * The API pipeline of lambdas/shared/api.ts for an operation whose body is OPTIONAL and beyond
 * the Stax spec (ApproveSupportAccessGrant: nothing, or `{"RoleName": ...}`): caller → role
 * table → JSON body or `undefined` → handler, with the same error mapper. `apiHandler`'s
 * `parseBody` requires a body, so it cannot serve here; the handler checks the body itself.
 */
export function jsonBodyHandler(
  operationId: OperationId,
  handle: (request: ApiRequest<unknown>) => Promise<ApiResponse>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(errorMapper(logger))
    .handler(async (event) => {
      const caller = callerFromEvent(event);
      assertAllowed(operationId, caller);
      const body = parseJsonBody(event);
      const response = await handle({
        caller,
        body,
        pathParameters: defined(event.pathParameters),
        query: defined(event.queryStringParameters),
        requestId: event.requestContext.requestId,
      });
      return json(response.status ?? 200, response.body);
    });
}

function defined(values: Record<string, string | undefined> | null): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
