/**
 * Bundles every Lambda of the route table (and the authorizer) the way the Identity stack does
 * (lib/identity/staxid-function.ts: esbuild, CJS, Node 24, minified, the SDK bundled, the
 * repository's tsconfig for the `@/` alias, STAXID_VERSION defined), plus the baseline bundle
 * (bench/baseline-entry.ts), and measures each one's size and cold `require` time.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { median } from '@/bench/stats';
import { mapWithConcurrency } from '@/lambdas/shared/concurrency';

export const BASELINE_ENTRY = 'bench/baseline-entry.ts';

export interface BundleResult {
  /** The handler file, relative to the repository root (or the baseline entry). */
  readonly entry: string;
  readonly bytes: number;
  /** Median of the cold `require` times, ms. */
  readonly coldImportMs: number;
  readonly coldImportSamplesMs: readonly number[];
  readonly error?: string;
}

export interface BundleOptions {
  readonly root: string;
  readonly outDir: string;
  readonly entries: readonly string[];
  /** Cold imports per bundle. */
  readonly importRuns: number;
  /** How many bundles are built, or node processes run, at once. */
  readonly concurrency: number;
  /** Children are registered here so an interrupted bench can stop them by PID. */
  readonly children: Set<ChildProcess>;
}

function packageVersion(root: string): string {
  const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const version =
    typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
  return typeof version === 'string' ? version : '0.0.0-dev';
}

function outFileOf(outDir: string, entry: string): string {
  return join(outDir, entry.replace(/\.ts$/, '').replace(/[\\/]/g, '__'), 'index.js');
}

async function bundle(root: string, outDir: string, entry: string, version: string): Promise<string> {
  const outfile = outFileOf(outDir, entry);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    tsconfig: join(root, 'tsconfig.json'),
    define: { 'process.env.STAXID_VERSION': JSON.stringify(version) },
    logLevel: 'silent',
  });
  return outfile;
}

const IMPORT_SCRIPT =
  'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';

/** One cold `require` of `file` in a fresh node process; its time in ms. */
function coldImport(file: string, children: Set<ChildProcess>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', IMPORT_SCRIPT, file], {
      cwd: dirname(file),
      stdio: ['ignore', 'pipe', 'pipe'],
      // No AWS configuration reaches the bundle: importing must not need any.
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', (error) => {
      children.delete(child);
      reject(error);
    });
    child.once('exit', (code) => {
      children.delete(child);
      const ms = Number(out.trim());
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else
        reject(new Error(`require(${basename(file)}) failed (exit ${code}): ${err.trim().split('\n')[0]}`));
    });
  });
}

export async function measureBundles(options: BundleOptions): Promise<BundleResult[]> {
  const version = packageVersion(options.root);
  const entries = [BASELINE_ENTRY, ...options.entries];
  const built = await mapWithConcurrency(entries, options.concurrency, async (entry) => {
    try {
      return { entry, file: await bundle(options.root, options.outDir, entry, version) };
    } catch (error) {
      return { entry, error: error instanceof Error ? error.message : String(error) };
    }
  });
  // Interleave the runs (all bundles once, then again, ...) so a noisy moment hits them all alike.
  const jobs = built.flatMap((item, index) =>
    'file' in item && item.file
      ? Array.from({ length: options.importRuns }, (_, run) => ({ index, run }))
      : [],
  );
  jobs.sort((a, b) => a.run - b.run || a.index - b.index);
  const samples = built.map((): number[] => []);
  const errors = built.map((item): string | undefined => ('error' in item ? item.error : undefined));
  await mapWithConcurrency(jobs, options.concurrency, async ({ index }) => {
    const item = built[index];
    if (!item || !('file' in item) || !item.file) return;
    try {
      samples[index]?.push(await coldImport(item.file, options.children));
    } catch (error) {
      errors[index] ??= error instanceof Error ? error.message : String(error);
    }
  });
  return built.map((item, index) => {
    const file = 'file' in item ? item.file : undefined;
    const runs = samples[index] ?? [];
    const error = errors[index];
    return {
      entry: relative(options.root, join(options.root, item.entry)),
      bytes: file ? statSync(file).size : 0,
      coldImportMs: runs.length ? median(runs) : Number.NaN,
      coldImportSamplesMs: runs,
      ...(error !== undefined && { error }),
    };
  });
}
