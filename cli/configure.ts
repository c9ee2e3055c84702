import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isAwsRegion, listAwsRoles } from './api';
import { awsProfiles, withStaxidBlock } from './aws-config';
import type { CliContext } from './context';
import { CliError, UsageError } from './errors';
import { currentSession } from './session';
import { CONFIG_DIR_ENV } from './store';

export interface ConfigureOptions {
  readonly profile: string;
  /** @default staxid */
  readonly prefix: string;
  /** @default `$AWS_CONFIG_FILE`, else `~/.aws/config` */
  readonly awsConfig?: string;
  /** @default the region of the staxid installation */
  readonly region?: string;
}

/**
 * `staxid configure`: one AWS profile per (account, role) the caller holds, each getting its
 * credentials from `staxid credentials`, written into the staxid block of the AWS config.
 */
export async function configure(context: CliContext, options: ConfigureOptions): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(options.prefix)) {
    throw new UsageError(`--prefix ${JSON.stringify(options.prefix)} must be letters, digits, "-" and "_".`);
  }
  if (options.region !== undefined && !isAwsRegion(options.region)) {
    throw new UsageError(
      `--region ${JSON.stringify(options.region)} is not an AWS region name such as eu-west-2.`,
    );
  }
  const file = resolve(
    options.awsConfig ?? (context.env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config')),
  );
  const session = await currentSession(context, options.profile);
  if (session.method === 'api-token') {
    throw new CliError(
      'Profile signed in with an API token: AWS sign-in is for people, so there is nothing to configure. Sign in with `staxid login --username <name>`.',
    );
  }
  const roles = await listAwsRoles(session.api, session.accessToken);
  const profiles = awsProfiles(roles, {
    prefix: options.prefix,
    staxidProfile: options.profile,
    region: options.region ?? session.region,
    command: context.selfCommand,
    configDir: context.env[CONFIG_DIR_ENV] ? resolve(String(context.env[CONFIG_DIR_ENV])) : undefined,
  });
  writeKeepingMode(file, withStaxidBlock(readIfPresent(file), options.prefix, profiles));
  context.err(`Wrote ${profiles.length} profile(s) to ${file}:`);
  for (const profile of profiles) context.err(`  ${profile.name}`);
}

function readIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Replaces the file atomically; a new file is 0600 in a 0700 directory, an existing one keeps
 * its mode (less what the umask removes). The temporary file has an unguessable name and is
 * created exclusively, so a link planted beside a shared config file is never followed.
 */
function writeKeepingMode(file: string, text: string): void {
  let mode = 0o600;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }
  const temporary = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temporary, text, { mode, flag: 'wx' });
  renameSync(temporary, file);
}
