import { handler } from '@/lambdas/meta/health';

describe('GET /health', () => {
  it('reports the service as up, with its name and version', async () => {
    const response = await handler();

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
    });
    expect(JSON.parse(response.body)).toEqual({
      status: 'ok',
      service: 'staxid',
      version: expect.any(String),
    });
  });
});
