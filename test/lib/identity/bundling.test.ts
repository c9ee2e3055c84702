import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyResult } from 'aws-lambda';
import cdkJson from '@/cdk.json';
import { ROUTES } from '@/lambdas/routes';
import { IdentityStack } from '@/lib/identity/identity-stack';
import packageJson from '@/package.json';
import { exampleConfig } from '@/test/support/config';

/**
 * Synthesizing whole stacks is CPU-bound work that grows with the machine's load: on one
 * core shared four ways, synthesizing the whole app took 41 s of jest's 60 s default.
 */
jest.setTimeout(180_000);

/**
 * One real synth with bundling: every StaxidFunction is built by the local esbuild. Docker
 * is made unusable first (CDK_DOCKER points nowhere), so a fallback to Docker would fail.
 */
const outdir = mkdtempSync(join(tmpdir(), 'staxid-bundle-'));
const savedDocker = process.env.CDK_DOCKER;
let template: Template;

beforeAll(() => {
  process.env.CDK_DOCKER = '/nonexistent/docker-must-not-be-used';
  const app = new App({ outdir, context: { ...cdkJson.context } });
  const config = exampleConfig();
  // Two functions are enough to prove the bundling: the health route's and the authorizer.
  // (`npx cdk synth` in test/e2e bundles every function of the app.)
  const stack = new IdentityStack(app, 'StaxidIdentity', {
    env: { account: config.accounts.security, region: config.region },
    config,
    routes: ROUTES.filter((route) => route.handler === 'lambdas/meta/health.ts'),
  });
  app.synth();
  template = Template.fromStack(stack);
});

afterAll(() => {
  if (savedDocker === undefined) delete process.env.CDK_DOCKER;
  else process.env.CDK_DOCKER = savedDocker;
  rmSync(outdir, { recursive: true, force: true });
});

function assetDirOf(description: string): string {
  const fn = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }),
  )[0];
  const key: unknown = fn?.Properties.Code.S3Key;
  if (typeof key !== 'string') throw new Error(`no function "${description}"`);
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

describe('StaxidFunction bundling (local esbuild, no Docker)', () => {
  test('bundles every function into a minified index.js with a source map', () => {
    for (const description of ['staxid: GET /health', 'staxid: verifies bearer tokens for API Gateway']) {
      const dir = assetDirOf(description);
      expect(existsSync(join(dir, 'index.js'))).toBe(true);
      expect(existsSync(join(dir, 'index.js.map'))).toBe(true);
      const code = readFileSync(join(dir, 'index.js'), 'utf8');
      // Minified: long lines (template literals inside bundled clients keep a few newlines;
      // unminified code averages well under 100 characters a line).
      expect(code.length / code.split('\n').length).toBeGreaterThan(250);
    }
  });

  test('resolves the @/ alias and injects the package version', async () => {
    const bundle = join(assetDirOf('staxid: GET /health'), 'index.js');
    expect(readFileSync(bundle, 'utf8')).not.toContain('process.env.STAXID_VERSION');
    const { handler } = (await import(bundle)) as { handler: () => Promise<APIGatewayProxyResult> };
    const response = await handler();
    expect(JSON.parse(response.body)).toEqual({
      status: 'ok',
      service: 'staxid',
      version: packageJson.version,
    });
  });

  test('bundles jose (ESM-only) into the authorizer', () => {
    const code = readFileSync(
      join(assetDirOf('staxid: verifies bearer tokens for API Gateway'), 'index.js'),
      'utf8',
    );
    expect(code).toContain('ERR_JWT_EXPIRED');
    expect(code).not.toMatch(/require\("jose"\)/);
  });
});
