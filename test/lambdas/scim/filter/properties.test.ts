import fc from 'fast-check';
import { parsePatchPath, parseScimFilter, printScimFilter, ScimFilterError } from '@/lambdas/scim/filter';
import { scimFilter } from './arbitraries';

/** Runs `parse` and reports whether it returned or threw a ScimFilterError; any other error fails the property. */
function returnsOrRefuses(parse: (text: string) => unknown, text: string): boolean {
  try {
    parse(text);
    return true;
  } catch (error) {
    if (error instanceof ScimFilterError) return /^(Position \d+: |The )/.test(error.detail);
    throw error;
  }
}

const FILTER_TOKENS = [
  '(',
  ')',
  '[',
  ']',
  '.',
  '.value',
  ' ',
  'not',
  'NOT (',
  'and',
  'Or',
  'eq',
  'gt',
  'pr',
  'co',
  'true',
  'null',
  '"x"',
  '"',
  '\\',
  '"\\u00e9"',
  '"\\u12"',
  '1e999',
  '-',
  '-0.5e3',
  '01',
  'userName',
  'emails',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'urn:',
  'a:b',
  '$ref',
  '\u0000',
  '😀',
];

const tokenSoup = fc
  .array(fc.constantFrom(...FILTER_TOKENS), { maxLength: 40 })
  .chain((tokens) => fc.constantFrom(tokens.join(' '), tokens.join('')));

describe('printScimFilter / parseScimFilter', () => {
  test('parse(print(ast)) deep-equals ast for every parser-producible AST', () => {
    fc.assert(
      fc.property(scimFilter, (ast) => {
        expect(parseScimFilter(printScimFilter(ast))).toStrictEqual(ast);
      }),
      { numRuns: 2000 },
    );
  });

  test('printing is canonical: print(parse(print(ast))) equals print(ast)', () => {
    fc.assert(
      fc.property(scimFilter, (ast) => {
        const text = printScimFilter(ast);
        expect(printScimFilter(parseScimFilter(text))).toBe(text);
      }),
    );
  });
});

describe('parseScimFilter on arbitrary input', () => {
  test('returns or throws ScimFilterError with a positioned detail, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), tokenSoup), (text) =>
        returnsOrRefuses(parseScimFilter, text),
      ),
      { numRuns: 3000 },
    );
  });

  test('mutations of valid filters (a character dropped or duplicated) return or throw ScimFilterError', () => {
    const mutated = fc.tuple(scimFilter, fc.nat(), fc.boolean()).map(([ast, at, drop]) => {
      const text = printScimFilter(ast);
      const index = at % Math.max(text.length, 1);
      return drop
        ? text.slice(0, index) + text.slice(index + 1)
        : text.slice(0, index + 1) + text.slice(index);
    });
    fc.assert(
      fc.property(mutated, (text) => returnsOrRefuses(parseScimFilter, text)),
      { numRuns: 2000 },
    );
  });
});

describe('parsePatchPath on arbitrary input', () => {
  test('returns or throws ScimFilterError, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), tokenSoup), (text) => returnsOrRefuses(parsePatchPath, text)),
      { numRuns: 2000 },
    );
  });
});
