/**
 * Finds the part of a filter the server can answer with one DynamoDB Query instead of a
 * Scan: an `eq` on an indexed attribute at the top level, alone or AND-ed with more.
 */
import type { ScimFilter } from './types';

/** An equality on an indexed attribute, plus whatever the server must still apply in memory. */
export interface IndexedLookup {
  readonly attribute: 'id' | 'userName' | 'externalId' | 'displayName';
  readonly value: string;
  readonly rest?: ScimFilter;
}

/** Preference order when several conjuncts are indexable: the most selective first. */
const INDEXED_ATTRIBUTES: readonly IndexedLookup['attribute'][] = [
  'id',
  'externalId',
  'userName',
  'displayName',
];
const CORE_SCHEMA = /^urn:ietf:params:scim:schemas:core:2\.0:(?:User|Group)$/i;

/**
 * The Query the server can run for `filter`, or undefined when it needs a Scan (an `or`
 * or `not` at the top, `ne`, a non-string value, a sub-attribute or an extension attribute).
 */
export function indexedLookup(filter: ScimFilter): IndexedLookup | undefined {
  const conjuncts = flattenAnd(filter);
  for (const attribute of INDEXED_ATTRIBUTES) {
    const index = conjuncts.findIndex((conjunct) => indexedEquality(conjunct) === attribute);
    const match = conjuncts[index];
    if (match?.kind !== 'compare' || typeof match.value !== 'string') continue;
    const rest = joinAnd(conjuncts.filter((_, position) => position !== index));
    return rest === undefined ? { attribute, value: match.value } : { attribute, value: match.value, rest };
  }
  return undefined;
}

function flattenAnd(filter: ScimFilter): ScimFilter[] {
  return filter.kind === 'and' ? [...flattenAnd(filter.left), ...flattenAnd(filter.right)] : [filter];
}

function joinAnd(filters: ScimFilter[]): ScimFilter | undefined {
  return filters.reduce<ScimFilter | undefined>(
    (left, right) => (left === undefined ? right : { kind: 'and', left, right }),
    undefined,
  );
}

function indexedEquality(filter: ScimFilter): IndexedLookup['attribute'] | undefined {
  if (filter.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined;
  const { path } = filter;
  if (path.subAttribute !== undefined) return undefined;
  if (path.schema !== undefined && !CORE_SCHEMA.test(path.schema)) return undefined;
  const wanted = path.attribute.toLowerCase();
  return INDEXED_ATTRIBUTES.find((attribute) => attribute.toLowerCase() === wanted);
}
