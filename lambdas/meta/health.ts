import type { APIGatewayProxyResult } from 'aws-lambda';
import { json } from '@/lambdas/shared/http';
import { SERVICE_NAME, serviceVersion } from '@/lambdas/shared/service-info';

/** GET /health: answers while the function can run; touches no dependency, so it is cheap to poll. */
export async function handler(): Promise<APIGatewayProxyResult> {
  return json(200, { status: 'ok', service: SERVICE_NAME, version: serviceVersion() });
}
