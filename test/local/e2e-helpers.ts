/**
 * Helpers for end-to-end tests against `npm start`'s service: everything goes through HTTP
 * (or a child process), as a person with curl, a browser or the CLI would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type ApiLogger, REPO_ROOT } from '@/local/api-gateway-adapter';
import { cognitoLocalClient } from '@/local/cognito-local';
import { type LocalService, startLocalService } from '@/local/service';
import { killIfRunning } from '@/test/support/processes';

/** The launcher the `staxid` npm bin points at. */
const LAUNCHER = join(REPO_ROOT, 'cli', 'bin', 'staxid.cjs');

/** An HTTP answer, its body parsed as JSON when it is JSON, else kept as text. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body when the answer is JSON. */
  readonly json: unknown;
}

async function reply(response: Response): Promise<HttpReply> {
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: isJson ? JSON.parse(text) : undefined,
  };
}

/** The whole local service of an e2e test file, started before its tests and stopped after. */
export interface LocalE2e {
  /** `$STAXID_HOME` of this run (a fresh temporary directory). */
  readonly home: string;
  running(): LocalService;
  /** A Cognito client of the service's cognito-local. */
  cognito(): CognitoIdentityProviderClient;
}

const quiet: ApiLogger = { info: () => {}, error: () => {} };

/**
 * Registers the `beforeAll` that starts `npm start`'s service in a fresh home and the
 * `afterAll` that stops it, stops its processes by PID and puts the environment back.
 */
export function useLocalService(homePrefix: string, startTimeoutMs: number): LocalE2e {
  let home: string | undefined;
  let service: LocalService | undefined;
  let cognito: CognitoIdentityProviderClient | undefined;
  const savedEnv = { ...process.env };
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), homePrefix));
    service = await startLocalService({ home, port: 0, logger: quiet });
    cognito = cognitoLocalClient(service.endpoints.cognito);
  }, startTimeoutMs);
  afterAll(async () => {
    cognito?.destroy();
    await service?.stop();
    killIfRunning(service?.dynamodb.pid, service?.cognito.pid);
    process.env = savedEnv;
    if (home) rmSync(home, { recursive: true, force: true });
  });
  return {
    get home() {
      if (!home) throw new Error('the local service has no home yet: use it inside a test');
      return home;
    },
    running() {
      if (!service) throw new Error('the local service is not running');
      return service;
    },
    cognito() {
      if (!cognito) throw new Error('no cognito-local client: the local service did not start');
      return cognito;
    },
  };
}

/** Fails with the answer's body, so a refused call says why. */
export function expectStatus(reply: HttpReply, status: number): void {
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${reply.text}`);
}

/**
 * An invited person's first sign-in to the user pool with the mailed temporary password:
 * the pool asks for a new password (NEW_PASSWORD_REQUIRED), which is answered; returns the
 * access token. cognito-local runs staxid's triggers as Cognito does, so the person is
 * ACTIVE afterwards.
 */
/**
 * An invited user's first sign-in under `npm start`: the temporary password from their
 * invitation in the outbox, then `newPassword`. cognito-local runs the user pool's
 * post-authentication trigger, as Cognito does, so the INVITED user is ACTIVE afterwards:
 * checked through `GET /20190206/users/me`. Answers the user's access token.
 */
export async function firstSignInOfInvited(
  local: LocalE2e,
  invited: { readonly email: string; readonly userId: string; readonly newPassword: string },
): Promise<string> {
  const service = local.running();
  const invitation = invitationFor(join(local.home, 'outbox'), invited.email);
  expect(invitation.Username).toBe(invited.userId);
  const token = await firstPasswordSignIn(
    local.cognito(),
    service.endpoints.userPoolClientId,
    invited.userId,
    invitation.TemporaryPassword,
    invited.newPassword,
  );
  const me = await callApi(service.url, token, 'GET', '/20190206/users/me');
  expectStatus(me, 200);
  expect(me.json).toEqual({ Users: [expect.objectContaining({ Id: invited.userId, Status: 'ACTIVE' })] });
  return token;
}

async function firstPasswordSignIn(
  cognito: CognitoIdentityProviderClient,
  clientId: string,
  username: string,
  temporaryPassword: string,
  newPassword: string,
): Promise<string> {
  const first = await cognito.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: temporaryPassword },
    }),
  );
  if (first.ChallengeName !== 'NEW_PASSWORD_REQUIRED') {
    throw new Error(`expected NEW_PASSWORD_REQUIRED at a first sign-in, got ${first.ChallengeName}`);
  }
  const answered = await cognito.send(
    new RespondToAuthChallengeCommand({
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: first.Session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: newPassword },
    }),
  );
  const accessToken = answered.AuthenticationResult?.AccessToken;
  if (!accessToken) throw new Error('the user pool gave no access token after the new password');
  return accessToken;
}

/** Calls the API as the bearer of `token` with an optional JSON body. */
export async function callApi(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpReply> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return reply(
    await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }),
  );
}

/** Posts a form, as a browser submitting a `<form method="post">`. */
export async function postForm(action: string, fields: Readonly<Record<string, string>>): Promise<HttpReply> {
  return reply(
    await fetch(action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

/**
 * Exchanges the bootstrap token `npm start` wrote to `$home/bootstrap-token.json` at
 * `POST /oauth2/token` (client_secret_basic) for an Admin JWT.
 */
export async function bootstrapAdminToken(home: string, url: string): Promise<string> {
  const { AccessKey, SecretKey } = JSON.parse(readFileSync(join(home, 'bootstrap-token.json'), 'utf8')) as {
    AccessKey: string;
    SecretKey: string;
  };
  const response = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${AccessKey}:${SecretKey}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
  });
  const body = (await response.json()) as { access_token?: unknown };
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`the bootstrap token exchange answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** The invitation mailed to `email`, from the outbox that stands in for Cognito's mail. */
export function invitationFor(
  outbox: string,
  email: string,
): { Username: string; TemporaryPassword: string } {
  for (const file of readdirSync(outbox).filter((name) => name.endsWith('.json'))) {
    const message = JSON.parse(readFileSync(join(outbox, file), 'utf8')) as Record<string, string>;
    if (message.To === email && message.Username && message.TemporaryPassword) {
      return { Username: message.Username, TemporaryPassword: message.TemporaryPassword };
    }
  }
  throw new Error(`no invitation to ${email} in ${outbox}`);
}

/** The `action` and hidden fields of the (only) form of an HTML page. */
export function htmlForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*\saction="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error('the page has no form with an action');
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input[^>]*\sname="([^"]*)"[^>]*\svalue="([^"]*)"/g)) {
    if (name !== undefined) fields[name] = unescapeHtml(value ?? '');
  }
  return { action: unescapeHtml(action), fields };
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Runs the `staxid` npm bin (`node cli/bin/staxid.cjs`) as a child process, as a person's shell does. */
export function runStaxid(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [LAUNCHER, ...args],
      { env: options.env, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}
