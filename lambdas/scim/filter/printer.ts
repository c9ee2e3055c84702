/**
 * Prints a filter AST as canonical SCIM filter text: lower-case operators, one space
 * between tokens, JSON literals, and only the parentheses the precedence needs, so that
 * `parseScimFilter(printScimFilter(ast))` deep-equals `ast` for every AST the parser can produce.
 */
import type { AttributePath, ScimFilter } from './types';

const PRECEDENCE: Readonly<Record<ScimFilter['kind'], number>> = {
  or: 1,
  and: 2,
  not: 3,
  compare: 3,
  present: 3,
  valuePath: 3,
};

/** Canonical text of `filter` (used in logs, in `.search` echoes and by the property tests). */
export function printScimFilter(filter: ScimFilter): string {
  switch (filter.kind) {
    case 'compare':
      return `${printAttributePath(filter.path)} ${filter.op} ${printValue(filter.value)}`;
    case 'present':
      return `${printAttributePath(filter.path)} pr`;
    case 'not':
      return `not (${printScimFilter(filter.filter)})`;
    case 'valuePath':
      return `${printAttributePath(filter.path)}[${printScimFilter(filter.filter)}]`;
    case 'and':
    case 'or': {
      const own = PRECEDENCE[filter.kind];
      // Left-associative: a right operand of equal precedence needs parentheses, a left one does not.
      const left = parenthesise(filter.left, PRECEDENCE[filter.left.kind] < own);
      const right = parenthesise(filter.right, PRECEDENCE[filter.right.kind] <= own);
      return `${left} ${filter.kind} ${right}`;
    }
  }
}

/** `schema:attribute.subAttribute`, as written. */
export function printAttributePath(path: AttributePath): string {
  const prefix = path.schema === undefined ? '' : `${path.schema}:`;
  const suffix = path.subAttribute === undefined ? '' : `.${path.subAttribute}`;
  return `${prefix}${path.attribute}${suffix}`;
}

function parenthesise(filter: ScimFilter, needed: boolean): string {
  const text = printScimFilter(filter);
  return needed ? `(${text})` : text;
}

function printValue(value: string | number | boolean | null): string {
  if (typeof value !== 'number') return JSON.stringify(value);
  if (!Number.isFinite(value)) throw new RangeError(`A SCIM filter cannot hold the number ${value}`);
  return Object.is(value, -0) ? '-0' : String(value);
}
