import type { APIGatewayProxyResult } from 'aws-lambda';
import { json } from '@/lambdas/shared/http';
import { buildOpenApiDocument } from '@/lambdas/shared/openapi-document';

// The document depends only on the bundled route table: build it once per container.
const document = buildOpenApiDocument();

/** GET /openapi.json */
export async function handler(): Promise<APIGatewayProxyResult> {
  return json(200, document);
}
