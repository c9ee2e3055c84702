import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '@/cdk.json';
import type { RouteDefinition } from '@/lambdas/routes';
import type { StaxidConfig } from '@/lib/config';
import { IdentityStack } from '@/lib/identity/identity-stack';
import { exampleConfig } from '@/test/support/config';

export interface IdentityFixture {
  readonly app: App;
  readonly stack: IdentityStack;
  readonly template: Template;
  readonly config: StaxidConfig;
}

export interface IdentityFixtureOptions {
  readonly config?: StaxidConfig;
  readonly routes?: readonly RouteDefinition[];
  /** Run esbuild for every function. @default false: assets are not bundled */
  readonly bundle?: boolean;
}

/** The Identity stack alone, as the app builds it (cdk.json feature flags), without bundling. */
export function identityFixture(options: IdentityFixtureOptions = {}): IdentityFixture {
  const app = new App({
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const config = options.config ?? exampleConfig();
  const stack = new IdentityStack(app, 'StaxidIdentity', {
    env: { account: config.accounts.security, region: config.region },
    config,
    routes: options.routes,
  });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** A bearer route served by an existing handler, for tests of how bearer routes are wired. */
export const BEARER_ROUTE: RouteDefinition = {
  operationId: 'TestBearerRoute',
  method: 'GET',
  path: '/test/bearer/{thing_id}',
  handler: 'lambdas/meta/health.ts',
  auth: 'bearer',
  summary: 'A bearer route for tests.',
  tag: 'Users',
};

/** The logical id of the one resource of `type` whose properties match `props`. */
export function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  if (ids.length !== 1 || !ids[0]) throw new Error(`expected one ${type} matching, found ${ids.length}`);
  return ids[0];
}
