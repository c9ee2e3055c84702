/**
 * The distribution bundle (`npm run build:cli`): cli/staxid.ts bundles into one CommonJS file
 * that needs nothing but Node.js built-ins, and runs on its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '@/local/api-gateway-adapter';

let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'staxid-cli-bundle-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the CLI bundle', () => {
  it('imports only Node.js built-ins and runs with node alone', async () => {
    const outfile = join(out, 'staxid.cjs');
    const result = await build({
      entryPoints: [join(REPO_ROOT, 'cli', 'staxid.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      packages: 'external',
      banner: { js: '#!/usr/bin/env node' },
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
    const external = new Set(imports.filter((i) => i.external).map((i) => i.path.replace(/^node:/, '')));
    expect([...external].filter((name) => !builtinModules.includes(name))).toEqual([]);

    const help = execFileSync(process.execPath, [outfile, 'credentials', '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^staxid credentials --account/);
  });
});
