import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@/test/support/config';

/**
 * `npx cdk synth` exactly as the README tells a platform team to run it: through the
 * CDK CLI and cdk.json, with real esbuild bundling, no AWS credentials and no network.
 */
function runCdk(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The environment of a machine with no AWS credentials or profile at all. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

describe('npx cdk synth', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'staxid-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('writes every stack to the output folder, offline, with bundled functions', async () => {
    const { code, output } = await runCdk(['synth', '--quiet', '--output', outdir], offlineEnv());

    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    const stacks = Object.values(
      manifest.artifacts as Record<
        string,
        { type: string; properties?: { stackName?: string; templateFile?: string } }
      >,
    ).filter((artifact) => artifact.type === 'aws:cloudformation:stack');
    expect(stacks.map((stack) => stack.properties?.stackName).sort()).toEqual([
      'staxid-audit',
      'staxid-identity',
      'staxid-member-roles',
    ]);
    for (const stack of stacks) {
      expect(existsSync(join(outdir, stack.properties?.templateFile ?? 'missing'))).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual(
      [],
    );
  }, 180_000);

  it('fails with a message naming the bad key when the configuration is wrong', async () => {
    const { code, output } = await runCdk(
      ['synth', '--quiet', '--output', join(outdir, 'bad'), '-c', 'staxid={"region":"mars-1"}'],
      offlineEnv(),
    );

    expect(code).not.toBe(0);
    expect(output).toContain('staxid.region: must be an AWS region code (got "mars-1"), e.g. "eu-west-1"');
    expect(output).toContain('staxid.accounts: is missing');
  }, 120_000);
});
