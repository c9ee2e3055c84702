import { handler } from '@/lambdas/meta/openapi';
import type { RouteDefinition } from '@/lambdas/routes';
import { buildOpenApiDocument } from '@/lambdas/shared/openapi-document';

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3 document listing the service routes', async () => {
    const response = await handler();

    expect(response.statusCode).toBe(200);
    const document = JSON.parse(response.body);
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('staxid API');
    expect(document.paths['/health'].get.operationId).toBe('ReadHealth');
    expect(document.paths['/openapi.json'].get.operationId).toBe('ReadOpenApiDocument');
  });
});

describe('buildOpenApiDocument', () => {
  const routes: RouteDefinition[] = [
    {
      operationId: 'ReadThing',
      method: 'GET',
      path: '/things/{thing_id}',
      handler: 'lambdas/x.ts',
      auth: 'bearer',
      summary: 'Read a thing.',
      tag: 'Things',
    },
    {
      operationId: 'DeleteThing',
      method: 'DELETE',
      path: '/things/{thing_id}',
      handler: 'lambdas/y.ts',
      auth: 'bearer',
      summary: 'Delete a thing.',
      tag: 'Things',
    },
  ];

  it('puts operations on the same path together and declares their path parameters', () => {
    const document = buildOpenApiDocument(routes);

    expect(Object.keys(document.paths['/things/{thing_id}'] ?? {})).toEqual(['get', 'delete']);
    expect(document.paths['/things/{thing_id}']?.get?.parameters).toEqual([
      { name: 'thing_id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('marks bearer routes as secured and documents their 401 and 403', () => {
    const operation = buildOpenApiDocument(routes).paths['/things/{thing_id}']?.get;

    expect(operation?.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(operation?.responses ?? {})).toEqual(['200', '401', '403']);
  });
});
