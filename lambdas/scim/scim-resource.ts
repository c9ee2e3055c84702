import { badRequest, ScimError } from '@/lambdas/scim/scim-error';
import { isObject, keyOf } from '@/lambdas/scim/scim-patch';

/**
 * What SCIM resources share: schema URNs, `meta` and its ETag, `attributes` /
 * `excludedAttributes` projection and the ListResponse with `startIndex`/`count`.
 */

export const SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
} as const;

/** The most resources one list page returns (ServiceProviderConfig `filter.maxResults`). */
export const MAX_RESULTS = 1000;
const DEFAULT_COUNT = 100;

type JsonObject = Record<string, unknown>;

/** `W/"<Version>"`: the version of a resource, as `meta.version` and the ETag header. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** Refuses a change when the client's `If-Match` names another version (412): it must read again. */
export function assertIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const accepted = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//i, ''));
  if (!accepted.includes(`"${version}"`)) {
    throw new ScimError(
      412,
      `The resource is at version ${etagOf(version)}, not ${ifMatch}: read it again (GET) and retry with its ETag`,
    );
  }
}

/** `meta` of a resource. */
export function metaOf(input: {
  resourceType: 'User' | 'Group';
  created: string;
  lastModified: string;
  location: string;
  version: number;
}) {
  return {
    resourceType: input.resourceType,
    created: input.created,
    lastModified: input.lastModified,
    location: input.location,
    version: etagOf(input.version),
  };
}

/** The list page parameters: `startIndex` (1-based, default 1) and `count` (default 100, at most 1000). */
export function pageOf(query: Readonly<Record<string, string>>): { startIndex: number; count: number } {
  const startIndex = integerParameter(query, 'startIndex', 1);
  const count = integerParameter(query, 'count', DEFAULT_COUNT);
  // RFC 7644 §3.4.2.4: values below 1 (startIndex) or 0 (count) are read as 1 and 0.
  return { startIndex: Math.max(1, startIndex), count: Math.min(MAX_RESULTS, Math.max(0, count)) };
}

function integerParameter(query: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const key = Object.keys(query).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  const text = key === undefined ? undefined : query[key];
  if (text === undefined || text === '') return fallback;
  if (!/^-?\d{1,9}$/.test(text))
    throw badRequest('invalidValue', `${name} must be an integer (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** A ListResponse page of `resources` (already filtered and sorted). */
export function listResponse(resources: readonly JsonObject[], page: { startIndex: number; count: number }) {
  const slice = resources.slice(page.startIndex - 1, page.startIndex - 1 + page.count);
  return {
    schemas: [SCHEMAS.listResponse],
    totalResults: resources.length,
    startIndex: page.startIndex,
    itemsPerPage: slice.length,
    Resources: slice,
  };
}

/** A query parameter, its name matched in any case. */
export function queryParameter(query: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(query).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : query[key];
}

/** Attributes returned whatever `attributes` / `excludedAttributes` say (RFC 7643 §7 `returned: always`). */
const ALWAYS_RETURNED = ['id', 'schemas', 'meta'];

/**
 * The resource with only the `attributes` asked for, or without the `excludedAttributes`
 * (comma-separated; `name.givenName` and URN-qualified names allowed).
 */
export function project(
  resource: JsonObject,
  query: Readonly<Record<string, string>>,
  extensionSchemas: readonly string[],
): JsonObject {
  const attributes = listParameter(query, 'attributes');
  const excluded = listParameter(query, 'excludedAttributes');
  if (attributes.length > 0) {
    const result: JsonObject = {};
    for (const key of Object.keys(resource)) {
      if (ALWAYS_RETURNED.includes(key.toLowerCase())) result[key] = resource[key];
    }
    for (const path of attributes) copyPath(resource, result, splitPath(path, extensionSchemas));
    return result;
  }
  const result = structuredClone(resource);
  for (const path of excluded) removePath(result, splitPath(path, extensionSchemas));
  return result;
}

function listParameter(query: Readonly<Record<string, string>>, name: string): string[] {
  return (queryParameter(query, name) ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** `urn:…:User:department` → [urn, department]; `name.givenName` → [name, givenName]. */
function splitPath(path: string, extensionSchemas: readonly string[]): string[] {
  const extension = extensionSchemas.find((urn) => path.toLowerCase().startsWith(`${urn.toLowerCase()}:`));
  if (extension !== undefined) return [extension, ...path.slice(extension.length + 1).split('.')];
  if (extensionSchemas.some((urn) => urn.toLowerCase() === path.toLowerCase())) return [path];
  const core = /^urn:ietf:params:scim:schemas:core:2\.0:(?:User|Group):/i.exec(path);
  return (core ? path.slice(core[0].length) : path).split('.');
}

function copyPath(from: JsonObject, to: JsonObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = keyOf(from, head);
  if (!(key in from)) return;
  const value = from[key];
  if (rest.length === 0 || !isObject(value)) {
    to[key] = structuredClone(value);
    return;
  }
  const child = isObject(to[key]) ? (to[key] as JsonObject) : {};
  to[key] = child;
  copyPath(value, child, rest);
}

function removePath(object: JsonObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = keyOf(object, head);
  if (rest.length === 0) {
    if (!ALWAYS_RETURNED.includes(key.toLowerCase())) delete object[key];
    return;
  }
  const child = object[key];
  if (isObject(child)) removePath(child, rest);
}
