import {
  matchesScimFilter,
  type PatchPath,
  parsePatchPath,
  printScimFilter,
  type ScimFilter,
  ScimFilterError,
} from '@/lambdas/scim/filter';
import { badRequest } from '@/lambdas/scim/scim-error';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) as Okta and Microsoft Entra ID send it, applied to the JSON
 * representation of a resource; the caller then validates the result as it would a PUT body,
 * so a PATCH can never store what a PUT could not. Accepted variations:
 *
 * - op names in any case (`Replace`, `Add`, `remove`);
 * - no `path`, with an object value whose keys are attributes, dotted sub-attributes or an
 *   extension schema URN (Okta's `{"op":"replace","value":{"active":false}}`);
 * - value filters (`emails[type eq "work"].value`, `members[value eq "…"]`); an `add` or
 *   `replace` through an `attr eq "x"` filter that matches nothing adds the element;
 * - multi-valued `add` of elements already present (no duplicate), and Entra's `remove` of
 *   `members` with a value list naming the members to remove.
 */

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Requests hold at most this many operations: more is a client error, not a workload. */
export const MAX_PATCH_OPERATIONS = 1000;

type JsonObject = Record<string, unknown>;

export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path?: string;
  readonly value?: unknown;
}

/** What the patched resource allows: its extension schema URNs and the attributes no client may set. */
export interface PatchTarget {
  readonly coreSchema: string;
  readonly extensionSchemas: readonly string[];
  /** Lower-case names a client cannot change (`id`, `meta`, `groups`). */
  readonly readOnly: readonly string[];
}

/** Checks a PatchOp body and returns its operations. */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) {
    throw badRequest(
      'invalidSyntax',
      'The body must be a PatchOp object: {"schemas": [...], "Operations": [...]}',
    );
  }
  const operations = attributeValue(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw badRequest('invalidSyntax', 'Operations must be a non-empty array of {"op", "path", "value"}');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw badRequest('tooMany', `A PATCH holds at most ${MAX_PATCH_OPERATIONS} operations: split it`);
  }
  return operations.map((operation, index) => {
    if (!isObject(operation)) throw badRequest('invalidSyntax', `Operations[${index}] must be an object`);
    const op = attributeValue(operation, 'op');
    const lower = typeof op === 'string' ? op.toLowerCase() : '';
    if (lower !== 'add' && lower !== 'remove' && lower !== 'replace') {
      throw badRequest('invalidSyntax', `Operations[${index}].op must be "add", "remove" or "replace"`);
    }
    const path = attributeValue(operation, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw badRequest('invalidPath', `Operations[${index}].path must be a string`);
    }
    const value = attributeValue(operation, 'value');
    if (lower !== 'remove' && value === undefined) {
      throw badRequest('invalidValue', `Operations[${index}] (${lower}) needs a value`);
    }
    return {
      op: lower,
      ...(typeof path === 'string' && path.trim() !== '' && { path: path.trim() }),
      ...(value !== undefined && { value }),
    };
  });
}

/** The resource after the operations, in order; the input is not changed. */
export function applyPatch(
  resource: JsonObject,
  operations: readonly PatchOperation[],
  target: PatchTarget,
): JsonObject {
  const result = structuredClone(resource);
  for (const operation of operations) applyOperation(result, operation, target);
  return result;
}

function applyOperation(resource: JsonObject, operation: PatchOperation, target: PatchTarget): void {
  if (operation.path === undefined) {
    if (operation.op === 'remove') {
      throw badRequest('noTarget', 'A remove operation needs a path naming what to remove');
    }
    if (!isObject(operation.value)) {
      throw badRequest(
        'invalidValue',
        `An ${operation.op} without a path needs an object value of attributes`,
      );
    }
    for (const [key, value] of Object.entries(operation.value)) {
      applyOperation(resource, { op: operation.op, path: key, value }, target);
    }
    return;
  }
  const extension = target.extensionSchemas.find(
    (urn) => urn.toLowerCase() === operation.path?.toLowerCase(),
  );
  if (extension !== undefined) {
    applyToAttribute(resource, extension, operation);
    return;
  }
  const parsed = patchPathOf(operation.path);
  const container = containerOf(resource, parsed, operation, target);
  if (container === undefined) return;
  const attribute = keyOf(container, parsed.path.attribute);
  if (container === resource && !isWritable(resource, attribute, operation, target)) return;
  if (parsed.filter !== undefined) {
    applyThroughFilter(container, attribute, parsed.filter, parsed.subAttribute, operation);
    return;
  }
  if (parsed.path.subAttribute !== undefined) {
    const parent = container[attribute];
    if (Array.isArray(parent)) {
      for (const element of parent.filter(isObject))
        applyToAttribute(element, keyOf(element, parsed.path.subAttribute), operation);
      return;
    }
    if (parent === undefined || parent === null) {
      if (operation.op === 'remove') return;
      container[attribute] = {};
    } else if (!isObject(parent)) {
      throw badRequest('invalidPath', `${parsed.path.attribute} has no sub-attributes`);
    }
    const object = container[attribute] as JsonObject;
    applyToAttribute(object, keyOf(object, parsed.path.subAttribute), operation);
    return;
  }
  applyToAttribute(container, attribute, operation);
}

/** The parsed path; any fault in it, its value filter included, is `invalidPath` (RFC 7644 §3.5.2). */
function patchPathOf(path: string): PatchPath {
  try {
    return parsePatchPath(path);
  } catch (error) {
    if (error instanceof ScimFilterError) throw badRequest('invalidPath', error.detail);
    throw error;
  }
}

/** The object the path's attribute lives in: the resource, or an extension's object. */
function containerOf(
  resource: JsonObject,
  parsed: PatchPath,
  operation: PatchOperation,
  target: PatchTarget,
): JsonObject | undefined {
  const schema = parsed.path.schema;
  if (schema === undefined || schema.toLowerCase() === target.coreSchema.toLowerCase()) return resource;
  const extension = target.extensionSchemas.find((urn) => urn.toLowerCase() === schema.toLowerCase());
  if (extension === undefined) {
    throw badRequest(
      'invalidPath',
      `Schema ${schema} is not supported here: use ${[target.coreSchema, ...target.extensionSchemas].join(' or ')}`,
    );
  }
  const existing = resource[extension];
  if (isObject(existing)) return existing;
  if (operation.op === 'remove') return undefined;
  const created: JsonObject = {};
  resource[extension] = created;
  return created;
}

/**
 * Whether the operation changes something a client may change. Setting `id` to its own value
 * (Okta's no-path replace echoes it) changes nothing; any other change of a read-only
 * attribute is refused.
 */
function isWritable(
  resource: JsonObject,
  attribute: string,
  operation: PatchOperation,
  target: PatchTarget,
): boolean {
  const lower = attribute.toLowerCase();
  if (lower === 'id' && operation.op !== 'remove' && operation.value === resource.id) return false;
  if (target.readOnly.includes(lower)) {
    throw badRequest('mutability', `${attribute} is read-only: remove it from the PATCH`);
  }
  return true;
}

/** add, replace or remove `container[attribute]` as a whole (an add to a list appends). */
function applyToAttribute(container: JsonObject, attribute: string, operation: PatchOperation): void {
  const current = container[attribute];
  if (operation.op === 'remove') {
    if (Array.isArray(current) && operation.value !== undefined) {
      const removed = asList(operation.value);
      container[attribute] = current.filter(
        (element) => !removed.some((other) => sameElement(element, other)),
      );
    } else {
      delete container[attribute];
    }
    return;
  }
  const value = operation.value;
  if (operation.op === 'add' && Array.isArray(current)) {
    const additions = asList(value).filter(
      (element, index, all) =>
        !current.some((existing) => sameElement(existing, element)) &&
        all.findIndex((other) => sameElement(other, element)) === index,
    );
    container[attribute] = [...current, ...structuredClone(additions)];
    return;
  }
  if (isObject(current) && isObject(value)) {
    // A complex attribute: the sub-attributes given are set, the others kept (RFC 7644 §3.5.2.1 and .3).
    container[attribute] = { ...current, ...structuredClone(value) };
    return;
  }
  container[attribute] = structuredClone(value);
}

function applyThroughFilter(
  container: JsonObject,
  attribute: string,
  filter: ScimFilter,
  subAttribute: string | undefined,
  operation: PatchOperation,
): void {
  const list = container[attribute];
  const elements = Array.isArray(list) ? list : [];
  const matches = elements.filter((element) => isObject(element) && matchesScimFilter(filter, element));
  if (operation.op === 'remove') {
    if (subAttribute === undefined) {
      container[attribute] = elements.filter((element) => !matches.includes(element));
    } else {
      for (const element of matches as JsonObject[]) delete element[keyOf(element, subAttribute)];
    }
    return;
  }
  if (matches.length === 0) {
    const seed = seedOf(filter);
    if (seed === undefined) {
      throw badRequest('noTarget', `No ${attribute} value matches the filter ${printScimFilter(filter)}`);
    }
    const element: JsonObject = { ...seed };
    container[attribute] = [...elements, element];
    matches.push(element);
  }
  for (const element of matches as JsonObject[]) {
    if (subAttribute === undefined) {
      if (!isObject(operation.value)) {
        throw badRequest(
          'invalidValue',
          `The value for ${attribute}[…] must be an object of its sub-attributes`,
        );
      }
      Object.assign(element, structuredClone(operation.value));
    } else {
      element[keyOf(element, subAttribute)] = structuredClone(operation.value);
    }
  }
}

/** `{type: "work"}` for the filter `type eq "work"`: the element an add through it creates. */
function seedOf(filter: ScimFilter): JsonObject | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.path.subAttribute !== undefined)
    return undefined;
  return { [filter.path.attribute]: filter.value };
}

/** Elements are the same when their `value`s are equal (members, emails), else when equal as JSON. */
function sameElement(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && a.value !== undefined && b.value !== undefined) {
    return String(a.value).toLowerCase() === String(b.value).toLowerCase();
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The existing key of `object` named `name` in any case (attribute names are case-insensitive), else `name`. */
export function keyOf(object: JsonObject, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower) ?? name;
}

/** `object[name]`, the name matched in any case. */
export function attributeValue(object: JsonObject, name: string): unknown {
  return object[keyOf(object, name)];
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
