import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, UsageError } from './errors';

/**
 * What `staxid login` keeps, per profile (one per staxid installation), in
 * `<config dir>/credentials.json`: the directory is 0700 and every file in it 0600, since
 * they hold tokens and, for an API token, its secret key.
 *
 * AWS credentials that `staxid credentials` obtained are cached beside it, one file per
 * (profile, account, role) under `aws/`, so that concurrent AWS CLI calls never rewrite
 * the same file.
 */

/** Environment variable that moves the config directory (tests, several users on one machine). */
export const CONFIG_DIR_ENV = 'STAXID_CONFIG_DIR';

export const DEFAULT_PROFILE = 'default';

interface SessionBase {
  /** The staxid API base URL, without a trailing slash. */
  readonly api: string;
  /** The installation's AWS region (public config), written into `~/.aws/config` profiles. */
  readonly region: string;
  /** The bearer token for the staxid API. */
  readonly accessToken: string;
  /** ISO 8601: when `accessToken` stops being accepted. */
  readonly expiresAt: string;
}

/** An API token: a machine identity, whose key pair is kept to exchange again for a fresh JWT. */
export interface ApiTokenSession extends SessionBase {
  readonly method: 'api-token';
  readonly accessKey: string;
  readonly secretKey: string;
}

/** A person signed in with Cognito (username and password): renewed with the refresh token. */
export interface PasswordSession extends SessionBase {
  readonly method: 'password';
  readonly username: string;
  readonly cognitoEndpoint: string;
  readonly clientId: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

export type Session = ApiTokenSession | PasswordSession;

/** The credential_process output (AWS CLI / SDK format, Version 1). */
export interface AwsCredentials {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: string;
}

interface CredentialsFile {
  readonly profiles: Record<string, Session>;
}

/** `$STAXID_CONFIG_DIR`, else `~/.staxid`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return env[CONFIG_DIR_ENV] || join(homedir(), '.staxid');
}

/** Profile names become file names: letters, digits, `.`, `_` and `-` only. */
export function checkProfileName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UsageError(
      `--profile ${JSON.stringify(name)} is not a valid profile name: use letters, digits, ".", "_" and "-" (at most 64).`,
    );
  }
  return name;
}

function credentialsFile(dir: string): string {
  return join(dir, 'credentials.json');
}

function readCredentialsFile(dir: string): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(credentialsFile(dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CredentialsFile>;
    return { profiles: { ...parsed.profiles } };
  } catch {
    throw new CliError(
      `${credentialsFile(dir)} is not valid JSON: delete it and run \`staxid login\` again.`,
    );
  }
}

/** The session of a profile; a CliError telling to log in when there is none. */
export function loadSession(dir: string, profile: string): Session {
  const session = readCredentialsFile(dir).profiles[profile];
  if (!session) {
    throw new CliError(
      `Not signed in (profile ${profile}): run \`staxid login --api <URL>${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`}\` first.`,
    );
  }
  return session;
}

/** Saves a renewed session of the same sign-in; a new sign-in goes through startSession. */
export function saveSession(dir: string, profile: string, session: Session): void {
  const file = readCredentialsFile(dir);
  writePrivateFile(credentialsFile(dir), { profiles: { ...file.profiles, [profile]: session } });
}

/**
 * Saves the session of a new sign-in, forgetting the profile's cached AWS credentials: they
 * belong to whoever was signed in before (another person, or another installation), and
 * `staxid credentials` would otherwise serve them to the new one.
 */
export function startSession(dir: string, profile: string, session: Session): void {
  saveSession(dir, profile, session);
  forgetAwsCredentials(dir, profile);
}

/** Forgets a profile and its cached AWS credentials; false when it was not signed in. */
export function removeSession(dir: string, profile: string): boolean {
  const file = readCredentialsFile(dir);
  forgetAwsCredentials(dir, profile);
  if (!(profile in file.profiles)) return false;
  const { [profile]: _removed, ...rest } = file.profiles;
  writePrivateFile(credentialsFile(dir), { profiles: rest });
  return true;
}

function forgetAwsCredentials(dir: string, profile: string): void {
  rmSync(join(dir, 'aws', profile), { recursive: true, force: true });
}

function awsCredentialsFile(dir: string, profile: string, account: string, role: string): string {
  const key = createHash('sha256')
    .update(JSON.stringify([account, role]))
    .digest('hex')
    .slice(0, 32);
  return join(dir, 'aws', profile, `${key}.json`);
}

/** Cached AWS credentials for (account, role), if any are still good at `validUntil`. */
export function cachedAwsCredentials(
  dir: string,
  profile: string,
  account: string,
  role: string,
  validUntil: Date,
): AwsCredentials | undefined {
  try {
    const cached = JSON.parse(readFileSync(awsCredentialsFile(dir, profile, account, role), 'utf8'));
    return Date.parse(cached.Expiration) > validUntil.getTime() ? (cached as AwsCredentials) : undefined;
  } catch {
    return undefined;
  }
}

export function cacheAwsCredentials(
  dir: string,
  profile: string,
  account: string,
  role: string,
  credentials: AwsCredentials,
): void {
  writePrivateFile(awsCredentialsFile(dir, profile, account, role), credentials);
}

/**
 * Writes JSON readable by its owner only: directories from `dir` down are 0700, the file
 * 0600, written to a temporary name and renamed so that a reader never sees half of it.
 */
function writePrivateFile(file: string, value: unknown): void {
  const parent = join(file, '..');
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  chmodSync(parent, 0o700);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
