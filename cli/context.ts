import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './errors';

/** What a command reads and writes beyond its files: injected so that tests run commands in process. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  /** Writes a line to stdout (results only: credential_process reads it). */
  readonly out: (line: string) => void;
  /** Writes a line to stderr (progress, errors). */
  readonly err: (line: string) => void;
  /** All of stdin, for `--secret-key-stdin` and `--password-stdin`. */
  readonly readStdin: () => Promise<string>;
  /** Asks on the terminal without echoing what is typed. */
  readonly promptHidden: (question: string) => Promise<string>;
  /** The absolute command that runs this CLI (`node <launcher>`), as `configure` writes it into credential_process. */
  readonly selfCommand: readonly string[];
}

/** The context of a real run: this process's streams, environment, clock and launcher. */
export function processContext(): CliContext {
  return {
    env: process.env,
    now: () => new Date(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin,
    promptHidden,
    selfCommand: [process.execPath, realpathSync(process.argv[1] ?? '.')],
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A readline prompt on stderr whose echo is suppressed after the question. */
function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(
      new UsageError(
        'No terminal to ask on: pass the secret on stdin (--password-stdin or --secret-key-stdin).',
      ),
    );
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const prompt = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    prompt.question(question, (answer) => {
      prompt.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
