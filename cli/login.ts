import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchangeApiToken, readPublicAuthConfig } from './api';
import { type BrowserLoginSettings, browserSession } from './browser-login';
import {
  awsCognitoEndpoint,
  passwordSignIn,
  revokeRefreshToken,
  type SignInStep,
  setNewPassword,
} from './cognito';
import type { CliContext } from './context';
import { CliError, UsageError } from './errors';
import { expiryAt, passwordSession } from './session';
import { configDir, removeSession, type Session, startSession } from './store';

/** Environment variables that stand in for `--access-key` and the secret key on stdin. */
export const API_TOKEN_ENV = { accessKey: 'STAXID_ACCESS_KEY', secretKey: 'STAXID_SECRET_KEY' } as const;

/** Where `npm start` keeps its state, and its `local.json`. */
const LOCAL_HOME_ENV = 'STAXID_HOME';

/** Overrides the Cognito endpoint the public config names (or AWS's own). */
export const COGNITO_ENDPOINT_ENV = 'STAXID_COGNITO_ENDPOINT';

export interface LoginOptions {
  readonly api: string;
  readonly profile: string;
  readonly accessKey?: string;
  readonly secretKeyStdin: boolean;
  readonly username?: string;
  readonly passwordStdin: boolean;
  readonly cognitoEndpoint?: string;
  /** `--browser`: the hosted UI in the browser, for people who sign in through a corporate IdP. */
  readonly browser?: BrowserLoginSettings;
}

/**
 * `staxid login`: signs in as an API token (machine identity) or as a person (Cognito
 * username and password), and caches the session for the profile.
 */
export async function login(context: CliContext, options: LoginOptions): Promise<void> {
  const api = apiBaseUrl(options.api);
  const accessKey = options.accessKey ?? context.env[API_TOKEN_ENV.accessKey];
  if (options.username !== undefined && accessKey !== undefined) {
    throw new UsageError(
      'Sign in either as a person (--username) or with an API token (--access-key), not both.',
    );
  }
  const session = options.browser
    ? await browserSession(context, api, {
        username: options.username,
        accessKey,
        cognitoEndpoint:
          options.cognitoEndpoint ??
          context.env[COGNITO_ENDPOINT_ENV] ??
          localCognitoEndpoint(context.env, api),
        browser: options.browser,
      })
    : options.username !== undefined
      ? await personSession(context, api, options.username, options)
      : accessKey !== undefined
        ? await apiTokenSession(context, api, accessKey, options)
        : undefined;
  if (!session) {
    throw new UsageError(
      'Say how to sign in: --username <name> (password prompted, or --password-stdin), --browser (the hosted UI, e.g. through your corporate IdP), or --access-key <AccessKey> --secret-key-stdin for an API token.',
    );
  }
  startSession(configDir(context.env), options.profile, session);
  context.err(`Signed in to ${api} (profile ${options.profile}).`);
}

async function apiTokenSession(
  context: CliContext,
  api: string,
  accessKey: string,
  options: LoginOptions,
): Promise<Session> {
  const secretKey = options.secretKeyStdin
    ? firstLine(await context.readStdin())
    : (context.env[API_TOKEN_ENV.secretKey] ?? (await context.promptHidden('SecretKey: ')));
  if (!secretKey) throw new UsageError('The SecretKey is empty: pass it on stdin with --secret-key-stdin.');
  const { region } = await readPublicAuthConfig(api);
  const grant = await exchangeApiToken(api, accessKey, secretKey);
  return {
    method: 'api-token',
    api,
    region,
    accessKey,
    secretKey,
    accessToken: grant.accessToken,
    expiresAt: expiryAt(context.now(), grant.expiresIn),
  };
}

async function personSession(
  context: CliContext,
  api: string,
  username: string,
  options: LoginOptions,
): Promise<Session> {
  const config = await readPublicAuthConfig(api);
  const cognitoEndpoint =
    options.cognitoEndpoint ??
    context.env[COGNITO_ENDPOINT_ENV] ??
    localCognitoEndpoint(context.env, api) ??
    awsCognitoEndpoint(config.region);
  const clientId = config.userPoolWebClientId;
  const stdinLines = options.passwordStdin ? (await context.readStdin()).split(/\r?\n/) : undefined;
  const password = stdinLines ? stdinLines[0] : await context.promptHidden(`Password for ${username}: `);
  if (!password) throw new UsageError('The password is empty.');
  let step: SignInStep = await passwordSignIn(cognitoEndpoint, clientId, username, password);
  if (step.kind === 'new-password-required') {
    const newPassword = stdinLines
      ? stdinLines[1]
      : await context.promptHidden('Your password is temporary; choose a new one: ');
    if (!newPassword) {
      throw new UsageError(
        'Your password is temporary and must be changed: give the new one on the next line of stdin, or run without --password-stdin to be asked.',
      );
    }
    step = await setNewPassword(cognitoEndpoint, clientId, username, step.session, newPassword);
  }
  if (step.kind !== 'signed-in') throw new CliError('Cognito asked for a new password twice.');
  return passwordSession(
    context.now(),
    { method: 'password', api, region: config.region, username, cognitoEndpoint, clientId },
    step.tokens,
  );
}

/**
 * In local mode the user pool is cognito-local, which the public config cannot name (its
 * schema has no field for it): `npm start` writes it to `$STAXID_HOME/local.json` (default
 * `.staxid/`), used when that file describes this very API.
 */
function localCognitoEndpoint(env: NodeJS.ProcessEnv, api: string): string | undefined {
  try {
    const local = JSON.parse(readFileSync(join(env[LOCAL_HOME_ENV] || '.staxid', 'local.json'), 'utf8'));
    return local.api?.replace(/\/+$/, '') === api && typeof local.cognito === 'string'
      ? local.cognito
      : undefined;
  } catch {
    return undefined;
  }
}

/** `staxid logout`: forgets the profile's session and cached AWS credentials, and ends a person's Cognito session. */
export async function logout(
  context: CliContext,
  profile: string,
  session: Session | undefined,
): Promise<void> {
  if (session?.method === 'password') {
    await revokeRefreshToken(session.cognitoEndpoint, session.clientId, session.refreshToken).catch(
      (error: Error) => context.err(`Warning: ${error.message}; the local session is removed anyway.`),
    );
  }
  const removed = removeSession(configDir(context.env), profile);
  context.err(removed ? `Signed out (profile ${profile}).` : `Profile ${profile} was not signed in.`);
}

/** An http(s) URL without trailing slashes; http only for loopback (local mode). */
export function apiBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--api ${JSON.stringify(value)} is not a URL: give the API's base URL, e.g. https://api.example.com/v1.`,
    );
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(`--api must be an https URL (http only for 127.0.0.1 or localhost), not ${value}.`);
  }
  return url.toString().replace(/\/+$/, '');
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}
