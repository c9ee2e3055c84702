/**
 * fast-check arbitraries for SCIM filter ASTs: every AST the parser can produce, with
 * realistic attribute names (including ones that are keywords elsewhere), schema URNs,
 * and string values full of quotes, backslashes and unicode (lone surrogates included).
 */
import fc from 'fast-check';
import type { AttributePath, CompareOp, ScimFilter } from '@/lambdas/scim/filter';

/** fc.record builds null-prototype objects by default; the parser builds plain ones. */
const PLAIN_OBJECTS = { noNullPrototype: true } as const;

const attributeName = fc.oneof(
  fc.constantFrom(
    'userName',
    'name',
    'familyName',
    'emails',
    'members',
    'value',
    'type',
    'displayName',
    'externalId',
    'id',
    'meta',
    'lastModified',
    'employeeNumber',
    '$ref',
    'and',
    'or',
    'not',
    'pr',
    'eq',
    'true',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/),
);

const schema = fc.oneof(
  fc.constantFrom(
    'urn:ietf:params:scim:schemas:core:2.0:User',
    'urn:ietf:params:scim:schemas:core:2.0:Group',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ),
  fc.stringMatching(/^urn:[a-z0-9]{1,8}(:[A-Za-z0-9.-]{1,8}){0,3}$/),
);

/** An attribute path with or without schema and sub-attribute; absent parts are absent keys. */
export const attributePath: fc.Arbitrary<AttributePath> = fc
  .tuple(fc.option(schema, { nil: undefined }), attributeName, fc.option(attributeName, { nil: undefined }))
  .map(([schemaUrn, attribute, subAttribute]) => ({
    ...(schemaUrn === undefined ? {} : { schema: schemaUrn }),
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
  }));

const stringValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('"', '\\', '\\"', 'café', '\u0000\u001f', ']', ') or (', ' and x pr', '😀', '\ud800'),
);
const numberValue = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));

const comparison: fc.Arbitrary<ScimFilter> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('compare' as const),
      path: attributePath,
      op: fc.constantFrom<CompareOp>('eq', 'ne'),
      value: fc.oneof(stringValue, numberValue, fc.boolean(), fc.constant(null)),
    },
    PLAIN_OBJECTS,
  ),
  fc.record(
    {
      kind: fc.constant('compare' as const),
      path: attributePath,
      op: fc.constantFrom<CompareOp>('co', 'sw', 'ew'),
      value: stringValue,
    },
    PLAIN_OBJECTS,
  ),
  fc.record(
    {
      kind: fc.constant('compare' as const),
      path: attributePath,
      op: fc.constantFrom<CompareOp>('gt', 'ge', 'lt', 'le'),
      value: fc.oneof(stringValue, numberValue),
    },
    PLAIN_OBJECTS,
  ),
);

const presence: fc.Arbitrary<ScimFilter> = fc.record(
  { kind: fc.constant('present' as const), path: attributePath },
  PLAIN_OBJECTS,
);

function treeOf(leaf: fc.Arbitrary<ScimFilter>, maxDepth: number): fc.Arbitrary<ScimFilter> {
  return fc.letrec<{ node: ScimFilter }>((tie) => ({
    node: fc.oneof(
      { maxDepth, withCrossShrink: true },
      leaf,
      fc.record(
        { kind: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') },
        PLAIN_OBJECTS,
      ),
      fc.record({ kind: fc.constant('not' as const), filter: tie('node') }, PLAIN_OBJECTS),
    ),
  })).node;
}

const valuePath: fc.Arbitrary<ScimFilter> = fc.record(
  {
    kind: fc.constant('valuePath' as const),
    path: attributePath,
    filter: treeOf(fc.oneof(comparison, presence), 2),
  },
  PLAIN_OBJECTS,
);

/** Any filter the parser accepts: bounded depth, value filters never nested inside each other. */
export const scimFilter: fc.Arbitrary<ScimFilter> = treeOf(fc.oneof(comparison, presence, valuePath), 3);
