import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildTestApp, exampleConfig } from '@/test/support/cdk';

/**
 * Synthesizing whole stacks is CPU-bound work that grows with the machine's load: on one
 * core shared four ways, synthesizing the whole app took 41 s of jest's 60 s default.
 */
jest.setTimeout(180_000);

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function tempOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'staxid-app-'));
  outdirs.push(dir);
  return dir;
}

describe('addStaxidStacks', () => {
  it('puts each stack in its own account, in the configured region', () => {
    const config = exampleConfig((raw) => {
      raw.region = 'ap-southeast-2';
    });
    const { stacks } = buildTestApp({ config, outdir: tempOutdir() });

    expect(
      [stacks.audit, stacks.identity, stacks.memberRoles].map((stack) => [
        stack.stackName,
        stack.account,
        stack.region,
      ]),
    ).toEqual([
      ['staxid-audit', config.accounts.logging, 'ap-southeast-2'],
      ['staxid-identity', config.accounts.security, 'ap-southeast-2'],
      ['staxid-member-roles', config.accounts.management, 'ap-southeast-2'],
    ]);
  });

  it('synthesizes the whole app with cdk-nag AwsSolutions reporting nothing unacknowledged', () => {
    const outdir = tempOutdir();
    const { app } = buildTestApp({ outdir });

    const assembly = app.synth();

    expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual([
      'staxid-audit',
      'staxid-identity',
      'staxid-member-roles',
    ]);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations);
    expect(violations).toEqual([]);
  });

  it('fails synth when a stack gains an unacknowledged cdk-nag error', async () => {
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    const { app, stacks } = buildTestApp({ outdir: tempOutdir() });
    new Bucket(stacks.audit, 'UnhardenedBucket');

    expect(() => app.synth()).toThrow(
      /ERROR The S3 Bucket or bucket policy does not require requests to use SSL/,
    );
  });

  it('shares no resource between stacks: they meet on names, not exports', () => {
    const { stacks } = buildTestApp({ outdir: tempOutdir() });
    for (const stack of [stacks.audit, stacks.identity, stacks.memberRoles]) {
      const template = Template.fromStack(stack).toJSON();
      expect(JSON.stringify(template)).not.toContain('Fn::ImportValue');
    }
  });
});
