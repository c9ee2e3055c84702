/** Exit codes of the staxid CLI: scripts and the AWS SDK only look at zero versus non-zero. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Every failure the CLI reports: its message goes to stderr as it is, so it says what went
 * wrong and what to do about it; nothing goes to stdout.
 */
export class CliError extends Error {
  readonly code = 'CliError';
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

/** A command line that cannot be run as written (unknown option, missing value). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
