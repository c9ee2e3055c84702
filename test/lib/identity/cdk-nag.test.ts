import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import cdkJson from '@/cdk.json';
import { ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { IdentityStack } from '@/lib/identity/identity-stack';
import { exampleConfig } from '@/test/support/config';
import { BEARER_ROUTE } from './identity-fixture';

/**
 * Synthesizing whole stacks is CPU-bound work that grows with the machine's load: on one
 * core shared four ways, synthesizing the whole app took 41 s of jest's 60 s default.
 */
jest.setTimeout(180_000);

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string; readonly severity: string }[];
  }[];
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The Identity stack alone with the AwsSolutions checks, as lib/app.ts registers them. */
function nagApp(routes: readonly RouteDefinition[] = ROUTES) {
  const outdir = mkdtempSync(join(tmpdir(), 'staxid-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const config = exampleConfig();
  const stack = new IdentityStack(app, 'StaxidIdentity', {
    env: { account: config.accounts.security, region: config.region },
    config,
    routes,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const report = (): ValidationReport =>
    JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  return { app, stack, report };
}

/** Every unacknowledged AwsSolutions finding, errors and warnings alike. */
function findings(report: ValidationReport): string[] {
  return report.pluginReports
    .filter((plugin) => plugin.pluginName === 'AwsSolutions')
    .flatMap((plugin) => plugin.violations.map((violation) => `${violation.severity} ${violation.ruleName}`));
}

describe('cdk-nag AwsSolutions on the Identity stack', () => {
  test('synthesizes with no unacknowledged error or warning', () => {
    const { app, report } = nagApp();
    expect(() => app.synth()).not.toThrow();
    expect(findings(report())).toEqual([]);
  });

  test('stays clean with a bearer route', () => {
    const { app, report } = nagApp([...ROUTES, BEARER_ROUTE]);
    expect(() => app.synth()).not.toThrow();
    expect(findings(report())).toEqual([]);
  });

  test('would fail on a finding nobody acknowledged (the check is live)', () => {
    const { app, stack, report } = nagApp();
    new Queue(stack, 'UncheckedQueue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    expect(findings(report())).toEqual(
      expect.arrayContaining(['error AwsSolutions-SQS3', 'error AwsSolutions-SQS4']),
    );
  });
});
