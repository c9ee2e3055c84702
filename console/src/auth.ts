/**
 * Signing a person in with the user pool's JSON API (`fetch`, no SDK): USER_PASSWORD_AUTH
 * and NEW_PASSWORD_REQUIRED, as the `staxid` CLI does (cli/cognito.ts). In local mode the
 * pool is cognito-local and the local API runs the post-authentication decision on
 * `POST /console/local/signed-in` (cognito-local does not run triggers).
 */

/** `/console/config.json`: where the user pool is. */
export interface ConsoleConfig {
  readonly mode: 'local';
  readonly cognitoEndpoint: string;
  readonly userPoolClientId: string;
  readonly region: string;
}

/** The tokens of a signed-in person, kept for this browser tab only. */
export interface Session {
  readonly accessToken: string;
  readonly username: string;
}

/** The next step of a sign-in: signed in, or a new password to set (an invited user's first sign-in). */
export type SignInStep =
  | { readonly kind: 'signed-in'; readonly session: Session }
  | { readonly kind: 'new-password-required'; readonly challenge: string };

/** A refusal that can be shown to the person as it is. */
export class SignInError extends Error {}

const SESSION_KEY = 'staxid.session';

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new SignInError('The console could not load its configuration: reload the page.');
  return (await response.json()) as ConsoleConfig;
}

export function storedSession(): Session | undefined {
  const text = sessionStorage.getItem(SESSION_KEY);
  return text ? (JSON.parse(text) as Session) : undefined;
}

export function forgetSession(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

export async function signInWithPassword(
  config: ConsoleConfig,
  username: string,
  password: string,
): Promise<SignInStep> {
  const answer = await cognito(config, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: config.userPoolClientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return completeStep(config, username, answer);
}

export async function setNewPassword(
  config: ConsoleConfig,
  username: string,
  challenge: string,
  newPassword: string,
): Promise<SignInStep> {
  const answer = await cognito(config, 'RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: config.userPoolClientId,
    Session: challenge,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  });
  return completeStep(config, username, answer);
}

interface CognitoAnswer {
  readonly AuthenticationResult?: { readonly AccessToken?: string };
  readonly ChallengeName?: string;
  readonly Session?: string;
}

async function completeStep(
  config: ConsoleConfig,
  username: string,
  answer: CognitoAnswer,
): Promise<SignInStep> {
  const accessToken = answer.AuthenticationResult?.AccessToken;
  if (accessToken) {
    if (config.mode === 'local') await runPostAuthentication(accessToken);
    const session: Session = { accessToken, username };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return { kind: 'signed-in', session };
  }
  if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
    return { kind: 'new-password-required', challenge: answer.Session };
  }
  throw new SignInError(
    `The user pool asked for ${answer.ChallengeName ?? 'an unknown step'}, which this console cannot answer yet.`,
  );
}

/** What Cognito's post-authentication trigger does in AWS: may refuse (a deactivated user). */
async function runPostAuthentication(accessToken: string): Promise<void> {
  const response = await fetch('local/signed-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ AccessToken: accessToken }),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { Error?: string };
    throw new SignInError(body.Error ?? `staxid refused the sign-in (HTTP ${response.status}).`);
  }
}

/** Cognito's refusals in words a person can act on. */
const COGNITO_MESSAGES: Readonly<Record<string, string>> = {
  NotAuthorizedException: 'The username or password is not right.',
  UserNotFoundException: 'The username or password is not right.',
  InvalidPasswordException:
    'The new password is too weak: use at least 8 characters with upper and lower case letters, a digit and a symbol.',
  PasswordResetRequiredException: 'Your password must be reset: ask an administrator.',
  TooManyRequestsException: 'Too many attempts: wait a minute and try again.',
};

async function cognito(config: ConsoleConfig, operation: string, input: unknown): Promise<CognitoAnswer> {
  let response: Response;
  try {
    response = await fetch(`${config.cognitoEndpoint.replace(/\/+$/, '')}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(input),
    });
  } catch {
    throw new SignInError('The sign-in service cannot be reached: check your connection and try again.');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = String(body.__type ?? body.code ?? '').replace(/^.*#/, '');
    const detail = typeof body.message === 'string' ? ` (${body.message})` : '';
    throw new SignInError(COGNITO_MESSAGES[type] ?? `The sign-in was refused${detail}.`);
  }
  return body as CognitoAnswer;
}
