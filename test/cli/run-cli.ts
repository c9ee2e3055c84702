/** Runs the staxid CLI in the test process with a captured context. */
import { join } from 'node:path';
import type { CliContext } from '@/cli/context';
import { UsageError } from '@/cli/errors';
import { run } from '@/cli/staxid';
import { REPO_ROOT } from '@/local/api-gateway-adapter';

/** The launcher the npm bin points at. */
export const LAUNCHER = join(REPO_ROOT, 'cli', 'bin', 'staxid.cjs');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin?: string;
  readonly now?: Date;
  readonly selfCommand?: readonly string[];
}

export async function runCli(args: readonly string[], options: RunOptions): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const context: CliContext = {
    env: options.env,
    now: () => options.now ?? new Date(),
    out: (line) => out.push(`${line}\n`),
    err: (line) => err.push(`${line}\n`),
    readStdin: async () => options.stdin ?? '',
    promptHidden: () => Promise.reject(new UsageError('no terminal in tests')),
    selfCommand: options.selfCommand ?? [process.execPath, LAUNCHER],
  };
  const code = await run(args, context);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
