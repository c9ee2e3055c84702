import { ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { SERVICE_NAME, serviceVersion } from '@/lambdas/shared/service-info';

type OpenApiOperation = {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: 'path'; required: true; schema: { type: 'string' } }>;
  responses: Record<string, { description: string }>;
};

/** Builds the service's OpenAPI 3.0 document from the route table. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[] = ROUTES) {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of routes) {
    const operations = paths[route.path] ?? {};
    operations[route.method.toLowerCase()] = operationFor(route);
    paths[route.path] = operations;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: `${SERVICE_NAME} API`,
      version: serviceVersion(),
      description: 'Self-hosted, Stax-compatible identity service for an AWS Organization.',
    },
    tags: [...new Set(routes.map((route) => route.tag))].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}

function operationFor(route: RouteDefinition): OpenApiOperation {
  const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  const responses: OpenApiOperation['responses'] = { '200': { description: 'Success' } };
  if (route.auth === 'bearer') {
    responses['401'] = { description: 'Missing, invalid or expired bearer token' };
    responses['403'] = { description: "The caller's role does not allow this operation" };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth === 'bearer' ? [{ bearer: [] }] : [],
    ...(pathParameters.length > 0 && {
      parameters: pathParameters.map((name) => ({
        name,
        in: 'path' as const,
        required: true as const,
        schema: { type: 'string' as const },
      })),
    }),
    responses,
  };
}
