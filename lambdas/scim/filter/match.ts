/**
 * Evaluates a filter against one SCIM resource in memory (after the server's Query has
 * narrowed the candidates). Semantics follow RFC 7644 §3.4.2.2, with these decisions:
 * - Attribute names and schema URNs match case-insensitively; an extension attribute is
 *   looked up under its schema URN key, a core one (`urn:ietf:params:scim:schemas:core:2.0:*`)
 *   at the top level.
 * - Strings compare case-insensitively unless `caseExact(path)` says otherwise; by default
 *   `id`, `externalId` and `meta.version` are case-exact (RFC 7643).
 * - A multi-valued attribute matches if any value matches; a complex value compared without
 *   a sub-attribute is compared through its `value` sub-attribute (`emails co "@x.org"`).
 * - `gt`/`ge`/`lt`/`le` order strings lexicographically (by UTF-16 code unit), numbers
 *   numerically, and two RFC 3339 dateTimes by instant; `eq`/`ne` on dateTimes also compare
 *   instants. Values of different types never match.
 * - `ne` is the negation of `eq`, so a missing attribute matches `ne`. `eq null` matches
 *   when the attribute is absent or empty, `ne null` when it is present.
 * - `pr` matches a value that is not null, not "", not [] and, for a complex value, has at
 *   least one such sub-attribute.
 */
import type { AttributePath, ScimFilter } from './types';

type CaseExact = (path: AttributePath) => boolean;
type Compare = Extract<ScimFilter, { kind: 'compare' }>;

const CORE_SCHEMA = /^urn:ietf:params:scim:schemas:core:2\.0:[A-Za-z]+$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Whether `resource` satisfies `filter`; never throws for any resource shape. */
export function matchesScimFilter(
  filter: ScimFilter,
  resource: Readonly<Record<string, unknown>>,
  options?: { caseExact?: (path: AttributePath) => boolean },
): boolean {
  return evaluate(filter, resource, options?.caseExact ?? isCaseExactByDefault);
}

/** RFC 7643's case-exact core attributes: `id`, `externalId` and `meta.version`. */
export function isCaseExactByDefault(path: AttributePath): boolean {
  const attribute = path.attribute.toLowerCase();
  const sub = path.subAttribute?.toLowerCase();
  if (sub === undefined) return attribute === 'id' || attribute === 'externalid';
  return attribute === 'meta' && sub === 'version';
}

function evaluate(
  filter: ScimFilter,
  resource: Readonly<Record<string, unknown>>,
  caseExact: CaseExact,
): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, resource, caseExact) && evaluate(filter.right, resource, caseExact);
    case 'or':
      return evaluate(filter.left, resource, caseExact) || evaluate(filter.right, resource, caseExact);
    case 'not':
      return !evaluate(filter.filter, resource, caseExact);
    case 'present':
      return valuesAt(resource, filter.path).some(isNonEmpty);
    case 'compare':
      return compare(filter, valuesAt(resource, filter.path), caseExact(filter.path));
    case 'valuePath': {
      const relative = relativeCaseExact(filter.path, caseExact);
      return valuesAt(resource, filter.path).some(
        (element) => isRecord(element) && evaluate(filter.filter, element, relative),
      );
    }
  }
}

/** Inside `emails[...]`, `value` means `emails.value` for the case-exactness decision. */
function relativeCaseExact(parent: AttributePath, caseExact: CaseExact): CaseExact {
  return (path) =>
    caseExact({
      ...(parent.schema === undefined ? {} : { schema: parent.schema }),
      attribute: parent.attribute,
      subAttribute: path.attribute,
    });
}

function valuesAt(resource: Readonly<Record<string, unknown>>, path: AttributePath): unknown[] {
  const container = containerOf(resource, path.schema);
  if (container === undefined) return [];
  const values = flatten(property(container, path.attribute));
  const { subAttribute } = path;
  if (subAttribute === undefined) return values;
  return values.flatMap((value) => (isRecord(value) ? flatten(property(value, subAttribute)) : []));
}

/** Core attributes live at the top level; an extension's live under its schema URN key. */
function containerOf(
  resource: Readonly<Record<string, unknown>>,
  schema: string | undefined,
): Readonly<Record<string, unknown>> | undefined {
  if (schema === undefined || CORE_SCHEMA.test(schema)) return resource;
  const extension = property(resource, schema);
  return isRecord(extension) ? extension : undefined;
}

function property(record: Readonly<Record<string, unknown>>, name: string): unknown {
  const wanted = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : record[key];
}

function flatten(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.some(isNonEmpty);
  if (isRecord(value)) return Object.values(value).some(isNonEmpty);
  return true;
}

function compare(filter: Compare, values: unknown[], exact: boolean): boolean {
  const comparable = values.map((value) => (isRecord(value) ? property(value, 'value') : value));
  if (filter.value === null) {
    const present = comparable.some(isNonEmpty);
    return filter.op === 'ne' ? present : filter.op === 'eq' && !present;
  }
  const expected = filter.value;
  if (filter.op === 'ne') return !comparable.some((actual) => matchesValue('eq', actual, expected, exact));
  return comparable.some((actual) => matchesValue(filter.op, actual, expected, exact));
}

function matchesValue(
  op: Compare['op'],
  actual: unknown,
  expected: string | number | boolean,
  exact: boolean,
): boolean {
  if (typeof expected === 'boolean') return op === 'eq' && actual === expected;
  if (typeof expected === 'number') return typeof actual === 'number' && ordered(op, actual, expected);
  if (typeof actual !== 'string') return false;
  if (op === 'co' || op === 'sw' || op === 'ew')
    return matchesText(op, fold(actual, exact), fold(expected, exact));
  if (DATE_TIME.test(actual) && DATE_TIME.test(expected)) {
    const [left, right] = [Date.parse(actual), Date.parse(expected)];
    if (!Number.isNaN(left) && !Number.isNaN(right)) return ordered(op, left, right);
  }
  return ordered(op, fold(actual, exact), fold(expected, exact));
}

function fold(text: string, exact: boolean): string {
  return exact ? text : text.toLowerCase();
}

function matchesText(op: 'co' | 'sw' | 'ew', actual: string, expected: string): boolean {
  if (op === 'co') return actual.includes(expected);
  return op === 'sw' ? actual.startsWith(expected) : actual.endsWith(expected);
}

function ordered<T extends string | number>(op: Compare['op'], actual: T, expected: T): boolean {
  switch (op) {
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
    case 'eq':
      return actual === expected;
    default:
      return false;
  }
}
