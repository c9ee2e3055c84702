import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ScimDeps, scimDepsFromEnv } from '@/lambdas/scim/deps';
import { ScimFilterError } from '@/lambdas/scim/filter';
import { resourceTypes, schemas, serviceProviderConfig } from '@/lambdas/scim/scim-discovery';
import { badRequest, ScimError, scimErrorBody } from '@/lambdas/scim/scim-error';
import {
  createScimGroup,
  deleteScimGroup,
  getScimGroup,
  listScimGroups,
  parseScimGroup,
  replaceScimGroup,
} from '@/lambdas/scim/scim-groups';
import { applyPatch, type PatchTarget, parsePatchRequest } from '@/lambdas/scim/scim-patch';
import { listResponse, pageOf, project, queryParameter, SCHEMAS } from '@/lambdas/scim/scim-resource';
import { authenticateScimToken, expiredScimTokenDetail } from '@/lambdas/scim/scim-tokens';
import { parseScimUser } from '@/lambdas/scim/scim-user-schema';
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  listScimUsers,
  replaceScimUser,
  type ScimContext,
} from '@/lambdas/scim/scim-users';
import { MAX_BODY_BYTES } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import {
  AuditWriteError,
  ConcurrentModificationError,
  ConflictError,
  DomainError,
  ValidationError,
} from '@/lambdas/shared/errors';
import { json } from '@/lambdas/shared/http';
import { newId } from '@/lambdas/shared/ids';
import { errorFields } from '@/lambdas/shared/logger';

/**
 * The SCIM 2.0 server (RFC 7643/7644) at `/scim/v2`, one function for all its routes. The
 * gateway lets requests through unauthenticated (`auth: 'none'`): this pipeline checks the
 * SCIM bearer token itself, then the body (JSON, at most 64 KiB), routes, and maps every
 * error to an RFC 7644 §3.12 error body. A malformed body, filter or path is a 400 with its
 * `scimType`, never a 500.
 */

type JsonObject = Record<string, unknown>;

const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const PATH = /\/scim\/v2\/(Users|Groups|ServiceProviderConfig|ResourceTypes|Schemas)(?:\/([^/]+))?\/?$/i;

const USER_TARGET: PatchTarget = {
  coreSchema: SCHEMAS.user,
  extensionSchemas: [SCHEMAS.enterpriseUser],
  readOnly: ['id', 'meta', 'groups'],
};
const GROUP_TARGET: PatchTarget = {
  coreSchema: SCHEMAS.group,
  extensionSchemas: [],
  readOnly: ['id', 'meta'],
};

interface ScimResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface ScimCall {
  readonly context: ScimContext;
  readonly method: string;
  readonly resource: string;
  readonly id: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly ifMatch: string | undefined;
  readonly body: unknown;
}

/** The SCIM handler over `deps` (tests pass their own). */
export function scimApiHandler(deps: () => ScimDeps) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId ?? newId();
    let resolved: ScimDeps | undefined;
    try {
      resolved = deps();
      return toResult(await serve(resolved, event, requestId));
    } catch (error) {
      return toResult(errorResponse(error, resolved, requestId));
    }
  };
}

export const handler = scimApiHandler(once(() => scimDepsFromEnv()));

async function serve(deps: ScimDeps, event: APIGatewayProxyEvent, requestId: string): Promise<ScimResponse> {
  const match = PATH.exec(event.path ?? '');
  if (!match?.[1])
    throw new ScimError(404, `No SCIM endpoint at ${event.path}: use /scim/v2/Users or /scim/v2/Groups`);
  const authentication = await authenticateScimToken(deps, header(event, 'authorization'));
  if (authentication.outcome === 'expired') {
    throw new ScimError(401, expiredScimTokenDetail(authentication.expiresTS));
  }
  if (authentication.outcome === 'refused') {
    throw new ScimError(
      401,
      'Send a valid SCIM token as "Authorization: Bearer <token>" (an Admin creates one with POST /20190206/scim-tokens)',
    );
  }
  const { tokenId } = authentication;
  const method = event.httpMethod.toUpperCase();
  const call: ScimCall = {
    context: { deps, tokenId, requestId, baseUrl: baseUrlOf(event) },
    method,
    resource: canonicalResource(match[1]),
    id: match[2] === undefined ? undefined : pathId(match[2]),
    query: definedValues(event.queryStringParameters),
    ifMatch: header(event, 'if-match'),
    body: method === 'POST' || method === 'PUT' || method === 'PATCH' ? parseBody(event) : undefined,
  };
  switch (call.resource) {
    case 'Users':
      return serveUsers(call);
    case 'Groups':
      return serveGroups(call);
    default:
      return serveDiscovery(call);
  }
}

/**
 * The id in the path, percent-decoded. Malformed percent-encoding (`%E0%A4%A`) names no
 * resource staxid ever issued: a SCIM 404, not the URIError's 500.
 */
function pathId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ScimError(
      404,
      `No resource with id ${JSON.stringify(segment)}: its percent-encoding is malformed`,
    );
  }
}

async function serveUsers(call: ScimCall): Promise<ScimResponse> {
  const { context, id, method, query, ifMatch } = call;
  if (id === undefined) {
    if (method === 'GET')
      return list(await listScimUsers(context, queryParameter(query, 'filter')), query, USER_TARGET);
    if (method === 'POST') {
      const created = await createScimUser(context, parseScimUser(call.body));
      return resourceResponse(created.resource, query, USER_TARGET, 201);
    }
    throw notAllowed(method, '/Users', 'GET, POST');
  }
  switch (method) {
    case 'GET':
      return resourceResponse((await getScimUser(context, id)).resource, query, USER_TARGET);
    case 'PUT': {
      const input = parseScimUser(call.body);
      return resourceResponse(
        (await replaceScimUser(context, id, ifMatch, () => input)).resource,
        query,
        USER_TARGET,
      );
    }
    case 'PATCH': {
      const operations = parsePatchRequest(call.body);
      const patched = await replaceScimUser(context, id, ifMatch, (current) =>
        parseScimUser(applyPatch(current, operations, USER_TARGET)),
      );
      return resourceResponse(patched.resource, query, USER_TARGET);
    }
    case 'DELETE':
      await deleteScimUser(context, id, ifMatch);
      return { status: 204 };
    default:
      throw notAllowed(method, '/Users/{id}', 'GET, PUT, PATCH, DELETE');
  }
}

async function serveGroups(call: ScimCall): Promise<ScimResponse> {
  const { context, id, method, query, ifMatch } = call;
  if (id === undefined) {
    if (method === 'GET')
      return list(await listScimGroups(context, queryParameter(query, 'filter')), query, GROUP_TARGET);
    if (method === 'POST')
      return resourceResponse(
        await createScimGroup(context, parseScimGroup(call.body)),
        query,
        GROUP_TARGET,
        201,
      );
    throw notAllowed(method, '/Groups', 'GET, POST');
  }
  switch (method) {
    case 'GET':
      return resourceResponse(await getScimGroup(context, id), query, GROUP_TARGET);
    case 'PUT': {
      const input = parseScimGroup(call.body);
      return resourceResponse(await replaceScimGroup(context, id, ifMatch, () => input), query, GROUP_TARGET);
    }
    case 'PATCH': {
      const operations = parsePatchRequest(call.body);
      const patched = await replaceScimGroup(context, id, ifMatch, (current) =>
        parseScimGroup(applyPatch(current, operations, GROUP_TARGET)),
      );
      return resourceResponse(patched, query, GROUP_TARGET);
    }
    case 'DELETE':
      await deleteScimGroup(context, id, ifMatch);
      return { status: 204 };
    default:
      throw notAllowed(method, '/Groups/{id}', 'GET, PUT, PATCH, DELETE');
  }
}

function serveDiscovery(call: ScimCall): ScimResponse {
  if (call.method !== 'GET') throw notAllowed(call.method, `/${call.resource}`, 'GET');
  const { baseUrl } = call.context;
  if (call.resource === 'ServiceProviderConfig') return { status: 200, body: serviceProviderConfig(baseUrl) };
  const all: JsonObject[] = call.resource === 'Schemas' ? schemas(baseUrl) : resourceTypes(baseUrl);
  if (call.id === undefined)
    return { status: 200, body: listResponse(all, { startIndex: 1, count: all.length }) };
  const found = all.find((entry) => String(entry.id).toLowerCase() === call.id?.toLowerCase());
  if (!found)
    throw new ScimError(404, `No ${call.resource} entry ${call.id}: GET /${call.resource} lists them`);
  return { status: 200, body: found };
}

function list(
  resources: JsonObject[],
  query: Readonly<Record<string, string>>,
  target: PatchTarget,
): ScimResponse {
  const page = listResponse(resources, pageOf(query));
  return {
    status: 200,
    body: {
      ...page,
      Resources: page.Resources.map((resource) => project(resource, query, target.extensionSchemas)),
    },
  };
}

function resourceResponse(
  resource: JsonObject,
  query: Readonly<Record<string, string>>,
  target: PatchTarget,
  status = 200,
): ScimResponse {
  const meta = resource.meta as { version?: string; location?: string } | undefined;
  return {
    status,
    body: project(resource, query, target.extensionSchemas),
    headers: {
      ...(meta?.version && { ETag: meta.version }),
      ...(status === 201 && meta?.location && { Location: meta.location }),
    },
  };
}

function notAllowed(method: string, path: string, allowed: string): ScimError {
  return new ScimError(405, `${method} is not supported on ${path}: use ${allowed}`);
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '')
    throw badRequest('invalidSyntax', 'This request needs a JSON body');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ScimError(
      413,
      `The body is larger than ${MAX_BODY_BYTES / 1024} KiB: send fewer values per request`,
    );
  }
  const contentType = header(event, 'content-type');
  if (contentType !== undefined && !/^application\/(?:scim\+)?json\b/i.test(contentType)) {
    throw badRequest(
      'invalidSyntax',
      `Content-Type must be application/scim+json (got ${JSON.stringify(contentType)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalidSyntax', 'The body is not valid JSON: check quotes, commas and brackets');
  }
}

/** Where this server's resources live, as the client addressed it (for `meta.location`). */
function baseUrlOf(event: APIGatewayProxyEvent): string {
  const host = header(event, 'host') ?? 'localhost';
  const prefix = (event.path ?? '').replace(/\/scim\/v2\/.*$/i, '');
  const scheme = header(event, 'x-forwarded-proto') ?? 'https';
  return `${scheme}://${host}${prefix}/scim/v2`;
}

function canonicalResource(name: string): string {
  return (
    ['Users', 'Groups', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas'].find(
      (resource) => resource.toLowerCase() === name.toLowerCase(),
    ) ?? name
  );
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

function definedValues(values: Record<string, string | undefined> | null): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) if (value !== undefined) result[key] = value;
  return result;
}

/** The one place errors become SCIM responses. */
function errorResponse(error: unknown, deps: ScimDeps | undefined, requestId: string): ScimResponse {
  const scim = toScimError(error, requestId);
  if (scim.status >= 500 || !isExpected(error)) {
    deps?.logger.error('SCIM request failed', { requestId, ...errorFields(error) });
  }
  return {
    status: scim.status,
    body: scimErrorBody(scim),
    ...(scim.status === 401 && { headers: { 'WWW-Authenticate': 'Bearer realm="staxid-scim"' } }),
  };
}

function isExpected(error: unknown): boolean {
  return error instanceof ScimError || error instanceof ScimFilterError || error instanceof DomainError;
}

function toScimError(error: unknown, requestId: string): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof ScimFilterError) return badRequest(error.scimType, error.detail);
  if (error instanceof ConflictError) return new ScimError(409, error.message, 'uniqueness');
  if (error instanceof ConcurrentModificationError) return new ScimError(409, error.message);
  if (error instanceof ValidationError) return badRequest('invalidValue', error.message);
  if (error instanceof DomainError) {
    return error.status === 400
      ? badRequest('invalidValue', error.message)
      : new ScimError(error.status === 429 ? 503 : error.status, error.message);
  }
  if (error instanceof AuditWriteError) {
    return new ScimError(
      503,
      `Nothing was changed: the change could not be audited. Retry later (request id ${requestId})`,
    );
  }
  return new ScimError(500, `Internal error: quote request id ${requestId} to your staxid administrator`);
}

function toResult(response: ScimResponse): APIGatewayProxyResult {
  const result = json(response.status, response.body ?? null, {
    'Content-Type': CONTENT_TYPE,
    ...response.headers,
  });
  return response.status === 204 ? { ...result, body: '' } : result;
}
