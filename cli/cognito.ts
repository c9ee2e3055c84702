import { CliError } from './errors';

/**
 * The few calls of Cognito's user pool JSON API a person's sign-in needs, made with `fetch`
 * (no AWS SDK in the CLI): they are unauthenticated calls for a public app client.
 */

/** The tokens of a signed-in user; RefreshToken is absent when Cognito renews the others. */
export interface CognitoTokens {
  readonly AccessToken: string;
  readonly IdToken: string;
  readonly RefreshToken?: string;
  readonly ExpiresIn?: number;
}

/** InitiateAuth's answer: tokens, or a challenge to answer first. */
export type SignInStep =
  | { readonly kind: 'signed-in'; readonly tokens: CognitoTokens }
  | { readonly kind: 'new-password-required'; readonly session: string };

/** Cognito's endpoint in `region`, when the public config names no other. */
export function awsCognitoEndpoint(region: string): string {
  return `https://cognito-idp.${region}.amazonaws.com`;
}

export async function passwordSignIn(
  endpoint: string,
  clientId: string,
  username: string,
  password: string,
): Promise<SignInStep> {
  const answer = await call(endpoint, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return signInStep(answer);
}

/** Answers NEW_PASSWORD_REQUIRED (a user's first sign-in with a temporary password). */
export async function setNewPassword(
  endpoint: string,
  clientId: string,
  username: string,
  session: string,
  newPassword: string,
): Promise<SignInStep> {
  const answer = await call(endpoint, 'RespondToAuthChallenge', {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    ClientId: clientId,
    Session: session,
    ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
  });
  return signInStep(answer);
}

/**
 * New access and ID tokens for a refresh token. GetTokensFromRefreshToken first: it is the
 * only way once the app client rotates refresh tokens (the staxid console client does), and
 * then it returns the next refresh token. Where it does not exist (cognito-local), the
 * classic InitiateAuth REFRESH_TOKEN_AUTH.
 */
export async function refreshTokens(
  endpoint: string,
  clientId: string,
  refreshToken: string,
): Promise<CognitoTokens> {
  let answer: CognitoAnswer;
  try {
    answer = await call(endpoint, 'GetTokensFromRefreshToken', {
      ClientId: clientId,
      RefreshToken: refreshToken,
    });
  } catch (error) {
    if (!(error instanceof CognitoError && UNKNOWN_OPERATION.has(error.type))) throw error;
    answer = await call(endpoint, 'InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
  }
  const step = signInStep(answer);
  if (step.kind !== 'signed-in')
    throw new CliError('Cognito asked for a new password while refreshing a session.');
  return step.tokens;
}

/** How an endpoint says it does not have an operation: AWS, and cognito-local (`CognitoLocal#Unsupported`). */
const UNKNOWN_OPERATION = new Set(['UnknownOperationException', 'Unsupported']);

/** Ends the session on Cognito's side too (the refresh token and the tokens issued from it). */
export async function revokeRefreshToken(
  endpoint: string,
  clientId: string,
  refreshToken: string,
): Promise<void> {
  await call(endpoint, 'RevokeToken', { ClientId: clientId, Token: refreshToken });
}

interface CognitoAnswer {
  readonly AuthenticationResult?: CognitoTokens;
  readonly ChallengeName?: string;
  readonly Session?: string;
}

function signInStep(answer: CognitoAnswer): SignInStep {
  const result = answer.AuthenticationResult;
  if (result?.AccessToken && result.IdToken) return { kind: 'signed-in', tokens: result };
  if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED' && answer.Session) {
    return { kind: 'new-password-required', session: answer.Session };
  }
  throw new CliError(
    `Cognito asked for ${answer.ChallengeName ?? 'an unknown step'}, which the staxid CLI cannot answer: sign in with \`staxid login --browser\` or in the console.`,
  );
}

async function call(endpoint: string, operation: string, input: unknown): Promise<CognitoAnswer> {
  let response: Response;
  try {
    response = await fetch(`${endpoint.replace(/\/+$/, '')}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CliError(`Cannot reach Cognito at ${endpoint}: ${cause}`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    // reported below with the status
  }
  if (!response.ok) {
    const type = String(body.__type ?? body.code ?? `HTTP ${response.status}`).replace(/^.*#/, '');
    const message = typeof body.message === 'string' ? body.message : text.slice(0, 200);
    throw new CognitoError(type, `Cognito refused ${operation}: ${type}: ${message}`);
  }
  return body as CognitoAnswer;
}

/** A refusal by Cognito; `type` is its exception name (NotAuthorizedException, ...). */
export class CognitoError extends CliError {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
