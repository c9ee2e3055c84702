import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { handlerFiles, ROUTES } from '@/lambdas/routes';
import { REPO_ROOT } from '@/test/support/config';

describe('ROUTES', () => {
  it('gives every route a unique operationId', () => {
    const ids = ROUTES.map((route) => route.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares each method and path once', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('uses API Gateway path templates', () => {
    for (const route of ROUTES) {
      expect(route.path).toMatch(/^\/[A-Za-z0-9._\-/{}+]*$/);
    }
  });

  test.each(handlerFiles())('%s exists under lambdas/ and exports a handler', async (file) => {
    expect(file).toMatch(/^lambdas\/[a-z0-9-]+(?:\/[a-z0-9-]+)+\.ts$/);
    expect(existsSync(resolve(REPO_ROOT, file))).toBe(true);
    const module = await import(resolve(REPO_ROOT, file));
    expect(typeof module.handler).toBe('function');
  });
});
