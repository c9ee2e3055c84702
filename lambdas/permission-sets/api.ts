import { type ApiRequest, type ApiResponse, apiHandler } from '@/lambdas/shared/api';
import { uuidParam } from '@/lambdas/shared/input';
import type { OperationId } from '@/lambdas/shared/permissions';

/**
 * The API pipeline (lambdas/shared/api.ts) with this API's error body,
 * `{"Error": {"Code", "Message"}}`, for every /20210321 operation. A change whose deployments
 * could not be queued after it was committed answers 503 saying so (DeploymentsNotQueuedError,
 * a ServiceUnavailableError the shared error mapper turns into the response).
 */
export function permissionSetHandler<Body = unknown>(
  operationId: OperationId,
  handle: (request: ApiRequest<Body>) => Promise<ApiResponse>,
  parseBody?: (body: unknown) => Body,
) {
  return apiHandler<Body>(
    { operationId, errorFormat: 'permission-sets', ...(parseBody && { parseBody }) },
    handle,
  );
}

/** The `permission_set_id` path parameter, a UUID. */
export function permissionSetIdOf(request: ApiRequest<unknown>): string {
  return uuidParam(request.pathParameters, 'permission_set_id');
}

/** The `assignment_id` path parameter, a UUID. */
export function assignmentIdOf(request: ApiRequest<unknown>): string {
  return uuidParam(request.pathParameters, 'assignment_id');
}
