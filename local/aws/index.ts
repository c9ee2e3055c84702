/**
 * The local AWS of `npm start` (ARCHITECTURE §5): one HTTP server on 127.0.0.1 with the SAML
 * sign-in endpoint (`POST /saml`) and STS (`POST /`, Query protocol). Every account of the
 * simulated organization has the `staxid` SAML provider trusting the service's own metadata,
 * and the built-in roles, as the member-roles StackSet gives them in AWS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUILTIN_ROLE_NAMES } from '@/lambdas/shared/constants';
import type { Organization } from '@/lambdas/shared/organization';
import type { AwsRole, AwsSamlValidationOptions } from '@/local/aws/saml-validator';
import { handleSignIn, SIGN_IN_PAGE_HEADERS } from '@/local/aws/sign-in-endpoint';
import { handleStsRequest, type StsContext } from '@/local/aws/sts-endpoint';

/** Set on the handlers: where the console sign-in form posts (the Recipient of every assertion). */
export const AWS_SIGNIN_URL_ENV = 'STAXID_AWS_SIGNIN_URL';
/** Set on the handlers: the STS endpoint AssumeRoleWithSAML is sent to. */
export const STS_ENDPOINT_ENV = 'STAXID_STS_ENDPOINT';
/** The built-in roles' maximum session, seconds (the member-roles stack's builtinRoleSessionDuration). */
export const BUILTIN_SESSION_SECONDS_ENV = 'STAXID_BUILTIN_SESSION_SECONDS';

const HOST = '127.0.0.1';
const DEFAULT_BUILTIN_SESSION_SECONDS = 3600;
/** A SAML Response is at most 100,000 characters; its form post, URL-encoded, fits well within. */
const MAX_BODY_BYTES = 512 * 1024;

export interface LocalAwsOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The service's SAML metadata XML, which every account's `staxid` provider trusts. */
  readonly metadata: () => Promise<string>;
  /** The simulated organization: its ACTIVE accounts have the provider and the built-in roles. */
  readonly organization: Organization;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default $STAXID_BUILTIN_SESSION_SECONDS, else 3600 */
  readonly builtinSessionSeconds?: number;
  /** Permission-set roles (under `/staxid/`) the local deployer has created (local/deployer.ts). */
  readonly permissionSetRoles?: (roleArn: string) => AwsRole | undefined;
}

export interface LocalAws {
  /** Base URL, also the STS endpoint. */
  readonly url: string;
  /** `<url>/saml`: the sign-in endpoint, and the Recipient assertions must name. */
  readonly signInUrl: string;
  readonly stsEndpoint: string;
  /** The environment the Lambda handlers need to reach these stand-ins. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

type Directory = Pick<AwsSamlValidationOptions, 'providers' | 'roles'>;

/**
 * The providers and roles of the organization as it is now: read once a request, so accounts
 * added to organization.json take effect at once.
 */
export async function localAwsDirectory(input: {
  metadata: () => Promise<string>;
  organization: Organization;
  builtinSessionSeconds: number;
  permissionSetRoles?: (roleArn: string) => AwsRole | undefined;
}): Promise<Directory> {
  const [metadata, accounts] = await Promise.all([input.metadata(), input.organization.listAccounts()]);
  const active = new Set(
    accounts.filter((account) => account.state === 'ACTIVE').map((account) => account.id),
  );
  const builtinRoles = new Set<string>(Object.values(BUILTIN_ROLE_NAMES));
  const role: AwsRole = { maxSessionDuration: input.builtinSessionSeconds };
  return {
    providers: (accountId) => (active.has(accountId) ? metadata : undefined),
    roles: (roleArn) => {
      const match = /^arn:aws:iam::(\d{12}):role\/([\w+=,.@-]+)$/.exec(roleArn);
      if (match?.[1] && match[2] && active.has(match[1]) && builtinRoles.has(match[2])) return role;
      const custom = /^arn:aws:iam::(\d{12}):role\/staxid\//.exec(roleArn);
      return custom?.[1] && active.has(custom[1]) ? input.permissionSetRoles?.(roleArn) : undefined;
    },
  };
}

/** Starts the local sign-in endpoint and STS on 127.0.0.1. */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const now = options.now ?? (() => new Date());
  const builtinSessionSeconds = options.builtinSessionSeconds ?? builtinSessionSecondsFromEnv();
  let signInUrl = '';
  const context = async (): Promise<StsContext> => ({
    ...(await localAwsDirectory({ ...options, builtinSessionSeconds })),
    now: now(),
    expectedRecipient: signInUrl,
  });
  const server = createServer((request, response) => {
    route(request, response, context).catch((error: unknown) => {
      console.error('local AWS stand-in failed', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${HOST}:${port}`;
  signInUrl = `${url}/saml`;
  return {
    url,
    signInUrl,
    stsEndpoint: url,
    environment: { [AWS_SIGNIN_URL_ENV]: signInUrl, [STS_ENDPOINT_ENV]: url },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function builtinSessionSecondsFromEnv(): number {
  const value = process.env[BUILTIN_SESSION_SECONDS_ENV];
  if (value === undefined || value === '') return DEFAULT_BUILTIN_SESSION_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43_200)
    throw new Error(
      `${BUILTIN_SESSION_SECONDS_ENV} must be a whole number of seconds from 3600 to 43200, got ${value}`,
    );
  return seconds;
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  context: () => Promise<StsContext>,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'POST' || (path !== '/' && path !== '/saml')) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const form = await readForm(request);
  if (!form) {
    response
      .writeHead(400, { 'content-type': 'text/plain' })
      .end('expected an application/x-www-form-urlencoded body of at most 512 KiB');
    return;
  }
  if (path === '/saml') {
    const reply = handleSignIn(form, await context());
    response.writeHead(reply.status, SIGN_IN_PAGE_HEADERS).end(reply.html);
    return;
  }
  const reply = handleStsRequest(form, await context());
  response.writeHead(reply.status, { 'content-type': 'text/xml' }).end(reply.body);
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
