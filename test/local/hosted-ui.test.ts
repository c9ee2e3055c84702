/**
 * The local stand-in of Cognito's hosted UI (local/hosted-ui.ts) against a real cognito-local:
 * an invited user's sign-in with the new-password step ends in a one-time code that only the
 * right verifier and redirect URI exchange; refresh goes through to cognito-local and rotates
 * the refresh token (the replaced one refused after the grace period); revocation ends the
 * whole rotation chain; every
 * refusal is an RFC 6749 `{error, error_description}` 400; CORS only for the console's origin.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AdminCreateUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { type HostedUi, startHostedUi } from '@/local/hosted-ui';
import { startTestCognito, type TestCognito } from '@/test/support/cognito-local';

const CONSOLE_ORIGIN = 'http://127.0.0.1:3999';
const CALLBACK = `${CONSOLE_ORIGIN}/console/`;
const TEMPORARY_PASSWORD = 'Temporary-Passw0rd!';
const PASSWORD = 'Hosted-Passw0rd!';
/** Shorter than Cognito's 10 s, to show that the option is honoured. */
const GRACE_PERIOD_MS = 3_000;

let cognito: TestCognito;
let hostedUi: HostedUi;
let now = Date.now();

beforeAll(async () => {
  cognito = await startTestCognito();
  hostedUi = await startHostedUi({
    cognitoEndpoint: cognito.endpoint,
    userPoolClientId: cognito.userPoolClientId,
    callbackUrls: [CALLBACK],
    logoutUrls: [CALLBACK],
    now: () => now,
    refreshGracePeriodMs: GRACE_PERIOD_MS,
  });
  for (const username of ['ada', 'bob']) {
    await cognito.client.send(
      new AdminCreateUserCommand({
        UserPoolId: cognito.userPoolId,
        Username: username,
        TemporaryPassword: TEMPORARY_PASSWORD,
        MessageAction: 'SUPPRESS',
      }),
    );
  }
});

afterAll(async () => {
  await hostedUi?.close();
  await cognito?.stop();
});

const verifierFor = () => randomBytes(32).toString('base64url');
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: cognito.userPoolClientId,
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    state: 'state-1',
    code_challenge: challengeOf(verifierFor()),
    code_challenge_method: 'S256',
    ...overrides,
  };
  const query = new URLSearchParams(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return `${hostedUi.url}/oauth2/authorize?${query}`;
}

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

function postForm(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${hostedUi.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
}

/** The whole sign-in of `username` (first sign-in: sets PASSWORD); the redirect's code and state. */
async function signIn(username: string, verifier: string, password = PASSWORD): Promise<URL> {
  const form = await fetch(authorizeUrl({ code_challenge: challengeOf(verifier) }));
  expect(form.status).toBe(200);
  const request = hidden(await form.text(), 'request');
  let answer = await postForm('/login', { request, username, password });
  if (answer.status === 200) {
    const html = await answer.text();
    expect(html).toContain('<label for="new_password">New password</label>');
    answer = await postForm('/login', {
      request,
      username: hidden(html, 'username'),
      session: hidden(html, 'session'),
      new_password: PASSWORD,
    });
  }
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

const refresh = (refreshToken: string) =>
  postForm('/oauth2/token', {
    grant_type: 'refresh_token',
    client_id: cognito.userPoolClientId,
    refresh_token: refreshToken,
  });

const revoke = (form: Record<string, string>) =>
  postForm('/oauth2/revoke', { client_id: cognito.userPoolClientId, ...form }, { Origin: CONSOLE_ORIGIN });

const exchange = (form: Record<string, string>, origin = CONSOLE_ORIGIN) =>
  postForm(
    '/oauth2/token',
    {
      grant_type: 'authorization_code',
      client_id: cognito.userPoolClientId,
      redirect_uri: CALLBACK,
      ...form,
    },
    { Origin: origin },
  );

describe('the hosted-UI stand-in', () => {
  let refreshToken: string;

  it('signs an invited user in (new password), then exchanges the code once for tokens', async () => {
    const verifier = verifierFor();
    const back = await signIn('ada', verifier, TEMPORARY_PASSWORD);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get('state')).toBe('state-1');
    const code = back.searchParams.get('code') ?? '';

    const answer = await exchange({ code, code_verifier: verifier });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const tokens = (await answer.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    expect(tokens.expires_in).toBeGreaterThan(0);
    refreshToken = String(tokens.refresh_token);

    const replay = await exchange({ code, code_verifier: verifier });
    expect(replay.status).toBe(400);
    await expect(replay.json()).resolves.toEqual({
      error: 'invalid_grant',
      error_description: 'the code is unknown, already used or expired',
    });
  });

  it('refuses a tampered verifier, and the code is then spent', async () => {
    const verifier = verifierFor();
    const code = (await signIn('ada', verifier)).searchParams.get('code') ?? '';
    // Another well-formed verifier: only the one behind the challenge may exchange the code.
    const tampered = await exchange({ code, code_verifier: verifierFor() });
    expect(tampered.status).toBe(400);
    await expect(tampered.json()).resolves.toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge',
    });
    const honest = await exchange({ code, code_verifier: verifier });
    await expect(honest.json()).resolves.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a redirect_uri other than the one the code was issued for', async () => {
    const verifier = verifierFor();
    const code = (await signIn('ada', verifier)).searchParams.get('code') ?? '';
    const answer = await exchange({
      code,
      code_verifier: verifier,
      redirect_uri: `${CONSOLE_ORIGIN}/other/`,
    });
    expect(answer.status).toBe(400);
    await expect(answer.json()).resolves.toEqual({
      error: 'invalid_grant',
      error_description: 'redirect_uri differs from the one the code was issued for',
    });
  });

  it('refuses a code after five minutes', async () => {
    const verifier = verifierFor();
    const code = (await signIn('ada', verifier)).searchParams.get('code') ?? '';
    now += 5 * 60_000 + 1;
    const answer = await exchange({ code, code_verifier: verifier });
    expect(answer.status).toBe(400);
    await expect(answer.json()).resolves.toMatchObject({ error: 'invalid_grant' });
  });

  it('rotates the refresh token at each refresh; a replaced one works for the grace period only', async () => {
    const first = await refresh(refreshToken);
    expect(first.status).toBe(200);
    const firstTokens = (await first.json()) as Record<string, unknown>;
    expect(firstTokens).toEqual(expect.objectContaining({ access_token: expect.any(String) }));
    const second = String(firstTokens.refresh_token);
    expect(second).not.toBe(refreshToken);
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // A retry with the replaced token inside the grace period (a lost answer) still works.
    now += GRACE_PERIOD_MS - 1;
    const retry = await refresh(refreshToken);
    expect(retry.status).toBe(200);

    const renewed = await refresh(second);
    expect(renewed.status).toBe(200);
    const third = String(((await renewed.json()) as Record<string, unknown>).refresh_token);
    expect(new Set([refreshToken, second, third]).size).toBe(3);

    const expectReplaced = async (token: string) => {
      const refused = await refresh(token);
      expect(refused.status).toBe(400);
      await expect(refused.json()).resolves.toEqual({
        error: 'invalid_grant',
        error_description: 'the refresh token was replaced by a newer one (rotation)',
      });
    };
    now += 1;
    await expectReplaced(refreshToken);
    now += GRACE_PERIOD_MS;
    await expectReplaced(second);
    expect((await refresh(third)).status).toBe(200);

    const unknown = await refresh('not-a-refresh-token');
    expect(unknown.status).toBe(400);
    await expect(unknown.json()).resolves.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes a refresh token and its whole rotation chain (RFC 7009), and answers 200 for an unknown one', async () => {
    const verifier = verifierFor();
    const code = (await signIn('bob', verifier, TEMPORARY_PASSWORD)).searchParams.get('code') ?? '';
    const tokens = (await (await exchange({ code, code_verifier: verifier })).json()) as Record<
      string,
      unknown
    >;
    const original = String(tokens.refresh_token);
    const rotated = String(
      ((await (await refresh(original)).json()) as Record<string, unknown>).refresh_token,
    );

    const revoked = await revoke({ token: rotated });
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    // Within the grace period, the token the rotation replaced would work: the chain is revoked.
    for (const token of [rotated, original]) {
      const refused = await refresh(token);
      expect(refused.status).toBe(400);
      await expect(refused.json()).resolves.toMatchObject({ error: 'invalid_grant' });
    }

    expect((await revoke({ token: 'never-issued' })).status).toBe(200);
    expect((await revoke({ token: rotated })).status).toBe(200);
    const noToken = await revoke({ token: '' });
    expect(noToken.status).toBe(400);
    await expect(noToken.json()).resolves.toMatchObject({ error: 'invalid_request' });
    const otherClient = await revoke({ token: rotated, client_id: 'someone-else' });
    expect(otherClient.status).toBe(400);
    await expect(otherClient.json()).resolves.toMatchObject({ error: 'invalid_client' });
  });

  it('answers RFC 6749 errors for a wrong client, a missing field and an unknown grant', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ grant_type: 'authorization_code', client_id: 'someone-else', code: 'x' }, 'invalid_client'],
      [
        { grant_type: 'authorization_code', client_id: cognito.userPoolClientId, redirect_uri: CALLBACK },
        'invalid_request',
      ],
      [{ grant_type: 'password', client_id: cognito.userPoolClientId }, 'unsupported_grant_type'],
    ];
    for (const [form, error] of cases) {
      const answer = await postForm('/oauth2/token', form);
      expect(answer.status).toBe(400);
      await expect(answer.json()).resolves.toMatchObject({ error, error_description: expect.any(String) });
    }
  });

  it('checks the authorization request: client, redirect URI, response type and S256', async () => {
    expect((await fetch(authorizeUrl({ client_id: 'someone-else' }))).status).toBe(400);
    expect(
      (await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/' }), { redirect: 'manual' })).status,
    ).toBe(400);
    const plain = await fetch(authorizeUrl({ code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(plain.status).toBe(302);
    const error = new URL(plain.headers.get('location') ?? '');
    expect(error.searchParams.get('error')).toBe('invalid_request');
    expect(error.searchParams.get('state')).toBe('state-1');
    const token = await fetch(authorizeUrl({ response_type: 'token' }), { redirect: 'manual' });
    expect(new URL(token.headers.get('location') ?? '').searchParams.get('error')).toBe(
      'unsupported_response_type',
    );
  });

  it('shows a wrong password on the form, without a redirect', async () => {
    const form = await fetch(authorizeUrl());
    const request = hidden(await form.text(), 'request');
    const answer = await postForm('/login', { request, username: 'ada', password: 'wrong' });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('<p role="alert">Incorrect username or password.</p>');
  });

  it('answers CORS preflight for the console origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${hostedUi.url}/oauth2/token`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
    const allowed = await preflight(CONSOLE_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('signs out only to a registered logout URI', async () => {
    const logout = (uri: string, client = cognito.userPoolClientId) =>
      fetch(`${hostedUi.url}/logout?${new URLSearchParams({ client_id: client, logout_uri: uri })}`, {
        redirect: 'manual',
      });
    const ok = await logout(CALLBACK);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(CALLBACK);
    expect((await logout('https://evil.example/')).status).toBe(400);
    expect((await logout(CALLBACK, 'someone-else')).status).toBe(400);
  });
});
