/**
 * The staxid console (console/, ADR 0019) served by the local API itself, at `/console/`:
 * same origin as the API, so the page calls it without CORS. Three routes, handled in this
 * process like every other route of the local API Gateway:
 *
 * - `GET /` sends the browser to `/console/`;
 * - `GET /console/{proxy+}` answers the built files of `console/dist/`, building them with
 *   vite first when they are missing or older than a source file (so `npm start` never
 *   serves a stale console and nothing built is kept in git); `config.json` tells the page
 *   where cognito-local is and which app client to use or, when `STAXID_CONSOLE_HOSTED_UI_URL`
 *   is set, the AWS shape `{mode: 'aws', region, userPoolClientId, hostedUiUrl}`, so the
 *   console signs in through a hosted UI (the stand-in of local/hosted-ui.ts) as in AWS.
 *
 * Signing in needs nothing more here: cognito-local runs staxid's Cognito triggers
 * (`local/service.ts`), so a first sign-in makes an INVITED user ACTIVE and a DISABLED
 * user is refused, as in AWS.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteDefinition } from '@/lambdas/routes';
import { PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import { json } from '@/lambdas/shared/http';
import { SIGNIN_ENV } from '@/lambdas/signin/env';
import { REPO_ROOT } from '@/local/api-gateway-adapter';

/** The console's sources (a vite project) and where its build goes. */
export const CONSOLE_SOURCE_DIR = join(REPO_ROOT, 'console');
export const CONSOLE_DIST_DIR = join(CONSOLE_SOURCE_DIR, 'dist');

const HANDLER_FILE = 'local/console.ts';

/** The console's routes on the local API; add them to the route table the local service serves. */
export const CONSOLE_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'console.Redirect',
    method: 'GET',
    path: '/',
    handler: HANDLER_FILE,
    auth: 'none',
    summary: 'Sends the browser to the console',
    tag: 'Console',
  },
  {
    operationId: 'console.ReadFile',
    method: 'GET',
    path: '/console/{proxy+}',
    handler: HANDLER_FILE,
    auth: 'none',
    summary: 'A file of the built console (local mode)',
    tag: 'Console',
  },
  {
    operationId: 'console.ReadIndex',
    method: 'GET',
    path: '/console',
    handler: HANDLER_FILE,
    auth: 'none',
    summary: 'The console page (local mode)',
    tag: 'Console',
  },
];

/**
 * When set, the console signs in through this hosted UI (code + PKCE) as in AWS, instead of
 * its password form against cognito-local: the URL of local/hosted-ui.ts's stand-in, set by
 * the local service with `consoleSignIn: 'hosted-ui'` (`STAXID_CONSOLE_SIGN_IN=hosted-ui`).
 */
export const CONSOLE_HOSTED_UI_ENV = 'STAXID_CONSOLE_HOSTED_UI_URL';

/** What the page reads before it can sign anyone in (`/console/config.json`). */
export type ConsoleConfig =
  | {
      readonly mode: 'local';
      readonly cognitoEndpoint: string;
      readonly userPoolClientId: string;
      readonly region: string;
    }
  | {
      readonly mode: 'aws';
      readonly region: string;
      readonly userPoolClientId: string;
      readonly hostedUiUrl: string;
    };

/** The Lambda-proxy handler behind CONSOLE_ROUTES. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  // `/console/` (trailing slash) is the page; the two bare paths send the browser there.
  if (event.path === '/' || event.path === '/console') {
    return { statusCode: 302, headers: { Location: '/console/' }, body: '' };
  }
  const file = event.pathParameters?.proxy ?? '';
  if (file === 'config.json') return json(200, consoleConfig(), { 'Cache-Control': 'no-store' });
  await ensureConsoleBuilt();
  return staticFile(file);
}

function consoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const userPoolClientId = env[PUBLIC_CONFIG_ENV.userPoolClientId] ?? '';
  const region = env.AWS_REGION ?? '';
  const hostedUiUrl = hostedUi(env);
  if (hostedUiUrl) return { mode: 'aws', region, userPoolClientId, hostedUiUrl };
  return { mode: 'local', cognitoEndpoint: cognitoEndpoint(env), userPoolClientId, region };
}

function hostedUi(env: NodeJS.ProcessEnv = process.env): string {
  return (env[CONSOLE_HOSTED_UI_ENV] ?? '').replace(/\/+$/, '');
}

function cognitoEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? '';
}

// ---- the built files ----------------------------------------------------------------------

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** A file of the build; a path with no file extension is a page of the app: index.html. */
function staticFile(relative: string): APIGatewayProxyResult {
  const isPage = extname(relative) === '';
  const file = normalize(join(CONSOLE_DIST_DIR, isPage ? 'index.html' : relative));
  if (!file.startsWith(CONSOLE_DIST_DIR + sep) || !existsSync(file) || !statSync(file).isFile()) {
    return json(404, { Error: `No console file ${relative}.` });
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  const binary = !type.includes('charset') && type !== 'application/json' && type !== 'image/svg+xml';
  return {
    statusCode: 200,
    headers: {
      'Content-Type': type,
      // Built assets carry a content hash in their name; the page itself is always checked.
      'Cache-Control': isPage ? 'no-cache' : 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
      ...(isPage && { 'Content-Security-Policy': pagePolicy(), 'X-Frame-Options': 'DENY' }),
    },
    body: readFileSync(file).toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/** AWS's own SAML sign-in endpoint, where the sign-in service posts when no stand-in is configured. */
const AWS_SAML_SIGNIN_URL = 'https://signin.aws.amazon.com/saml';

/**
 * The page loads only its own files and talks only to the API (same origin) and the user pool
 * (cognito-local, or the hosted UI's token endpoint; the hosted UI itself is a navigation).
 */
function pagePolicy(): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${hostedUi() || cognitoEndpoint()}`.trim(),
    "img-src 'self' data:",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    // The AWS sign-in button posts the SAML Response to AWS's sign-in endpoint (its local stand-in here).
    `form-action 'self' ${process.env[SIGNIN_ENV.destination] ?? AWS_SAML_SIGNIN_URL}`,
  ].join('; ');
}

let building: Promise<void> | undefined;

/** Builds the console when its build is missing or older than a source; one build at a time. */
export function ensureConsoleBuilt(): Promise<void> {
  if (building) return building;
  if (!isBuildStale()) return Promise.resolve();
  building = buildConsole().finally(() => {
    building = undefined;
  });
  return building;
}

/** True when console/dist/index.html is missing or a file of console/ (outside dist) is newer. */
export function isBuildStale(): boolean {
  const built = join(CONSOLE_DIST_DIR, 'index.html');
  if (!existsSync(built)) return true;
  return newestSourceTime(CONSOLE_SOURCE_DIR) > statSync(built).mtimeMs;
}

function newestSourceTime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (path === CONSOLE_DIST_DIR || entry.name === 'node_modules') continue;
    const time = entry.isDirectory() ? newestSourceTime(path) : statSync(path).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

/** `vite build console` in a child process (vite 7 is ESM only), waited for; its output on failure. */
function buildConsole(): Promise<void> {
  const vite = resolve(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, [vite, 'build', CONSOLE_SOURCE_DIR, '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolveBuild();
      else
        reject(
          new Error(`vite build of the console failed (${signal ?? `exit ${code}`}):\n${output.join('')}`),
        );
    });
  });
}
