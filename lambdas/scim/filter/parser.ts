/**
 * Recursive-descent parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths.
 *
 * Grammar decisions (documented here because the RFC ABNF leaves them open):
 * - Operators, `and`/`or`/`not`, `pr` and `true`/`false`/`null` are case-insensitive
 *   (ABNF literals are); the AST stores operators in lower case.
 * - Precedence `not` > `and` > `or`; `and` and `or` associate to the left.
 * - Tokens are separated by any amount of whitespace; it is optional next to
 *   parentheses and brackets.
 * - `gt`/`ge`/`lt`/`le` with `true`, `false` or `null`, and `co`/`sw`/`ew` with anything but a
 *   string, are refused at parse time (RFC 7644: ordering on booleans is invalidFilter).
 * - `emails[type eq "work"].value eq "x"` (what Microsoft Entra ID sends) is read as the
 *   equivalent `emails[type eq "work" and value eq "x"]`.
 * - A PATCH path whose bracket content is malformed yields invalidFilter (RFC 7644 §3.12
 *   lists invalidFilter for "PATCH (Path Filter)"); everything else in a path is invalidPath.
 */
import { type Token, tokenize } from './lexer';
import {
  type AttributePath,
  type CompareOp,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  type PatchPath,
  type ScimFilter,
  ScimFilterError,
} from './types';

type ScimType = ScimFilterError['scimType'];
type CompareValue = Extract<ScimFilter, { kind: 'compare' }>['value'];

const COMPARE_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const ORDERING_OPS: ReadonlySet<string> = new Set(['gt', 'ge', 'lt', 'le']);
const STRING_OPS: ReadonlySet<string> = new Set(['co', 'sw', 'ew']);
const LITERALS: ReadonlyMap<string, boolean | null> = new Map([
  ['true', true],
  ['false', false],
  ['null', null],
]);
const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
const SCHEMA_URN = /^urn:[A-Za-z0-9._:-]*[A-Za-z0-9._-]$/i;
const OPERATOR_LIST = 'eq, ne, co, sw, ew, gt, ge, lt, le or pr';

/** Parses a `filter` query parameter (or `.search` body) into an AST; throws ScimFilterError('invalidFilter'). */
export function parseScimFilter(text: string): ScimFilter {
  checkLength(text, 'invalidFilter', 'filter');
  const parser = new Parser(text, 'invalidFilter');
  if (parser.peek().type === 'end') {
    throw new ScimFilterError(
      'invalidFilter',
      'The filter is empty: send an expression such as userName eq "bjensen".',
    );
  }
  const filter = parser.parseFilter();
  parser.expectEnd();
  return filter;
}

/** Parses a PATCH operation's `path` (RFC 7644 §3.5.2); throws ScimFilterError('invalidPath'). */
export function parsePatchPath(text: string): PatchPath {
  checkLength(text, 'invalidPath', 'path');
  const parser = new Parser(text, 'invalidPath');
  const path = parser.parsePath();
  if (parser.peek().type !== '[') {
    parser.expectEnd('"[" or the end of the path');
    return { path };
  }
  const filter = parser.parseBracketFilter(path);
  const subAttribute = parser.parseSuffixSubAttribute();
  parser.expectEnd(
    subAttribute === undefined ? '".subAttribute" or the end of the path' : 'the end of the path',
  );
  return subAttribute === undefined ? { path, filter } : { path, filter, subAttribute };
}

function checkLength(text: string, scimType: ScimType, what: string): void {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ScimFilterError(
      scimType,
      `The ${what} is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted.`,
    );
  }
}

function describe(token: Token): string {
  if (token.type === 'end') return 'the end of the input';
  return JSON.stringify(token.text);
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;
  private insideBrackets = false;

  constructor(
    text: string,
    private scimType: ScimType,
  ) {
    this.tokens = tokenize(text);
  }

  peek(offset = 0): Token {
    const token = this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token;
    if (token.type === 'invalid') this.fail(token, token.reason);
    return token;
  }

  private next(): Token {
    const token = this.peek();
    this.index++;
    return token;
  }

  private fail(token: Token, problem: string): never {
    throw new ScimFilterError(this.scimType, `Position ${token.pos + 1}: ${problem}.`);
  }

  private isWord(token: Token, word: string): boolean {
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  expectEnd(expected = '"and", "or" or the end of the input'): void {
    const token = this.peek();
    if (token.type === 'end') return;
    if (token.type === ')') this.fail(token, 'unbalanced ")": it has no matching "("');
    if (token.type === ']') this.fail(token, 'unbalanced "]": it has no matching "["');
    this.fail(token, `expected ${expected}, found ${describe(token)}`);
  }

  private expect(type: ')' | ']', opener: Token): void {
    const token = this.peek();
    if (token.type === type) {
      this.index++;
      return;
    }
    this.fail(
      token,
      `expected "${type}" to close the "${opener.text}" at position ${opener.pos + 1}, found ${describe(token)}`,
    );
  }

  private enter(token: Token): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      this.fail(
        token,
        `nesting deeper than ${MAX_FILTER_DEPTH} levels of "(", "not (" and "[" is not accepted`,
      );
    }
  }

  /** FILTER with `or` (lowest precedence) at the top. */
  parseFilter(): ScimFilter {
    let left = this.parseConjunction();
    while (this.isWord(this.peek(), 'or')) {
      this.index++;
      left = { kind: 'or', left, right: this.parseConjunction() };
    }
    return left;
  }

  private parseConjunction(): ScimFilter {
    let left = this.parseUnary();
    while (this.isWord(this.peek(), 'and')) {
      this.index++;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): ScimFilter {
    const token = this.peek();
    if (token.type === '(') {
      this.index++;
      return this.parseGroup(token);
    }
    const paren = this.peek(1);
    if (this.isWord(token, 'not') && paren.type === '(') {
      this.index += 2;
      return { kind: 'not', filter: this.parseGroup(paren) };
    }
    if (token.type !== 'word') {
      this.fail(token, `expected an attribute path, "(" or "not (", found ${describe(token)}`);
    }
    return this.parseAttributeExpression();
  }

  private parseGroup(opener: Token): ScimFilter {
    this.enter(opener);
    const filter = this.parseFilter();
    this.expect(')', opener);
    this.depth--;
    return filter;
  }

  private parseAttributeExpression(): ScimFilter {
    const pathToken = this.peek();
    const path = this.parsePath();
    if (this.peek().type !== '[') return this.parseOperator(path, pathToken);
    const bracketFilter = this.parseBracketFilter(path);
    const subAttribute = this.parseSuffixSubAttribute();
    if (subAttribute === undefined) return { kind: 'valuePath', path, filter: bracketFilter };
    const subToken = this.tokens[this.index - 1] as Token;
    const condition = this.parseOperator({ attribute: subAttribute }, subToken);
    return { kind: 'valuePath', path, filter: { kind: 'and', left: bracketFilter, right: condition } };
  }

  /** `attrPath "[" valFilter "]"`, with `[` as the next token. */
  parseBracketFilter(path: AttributePath): ScimFilter {
    const opener = this.next();
    if (this.insideBrackets) this.fail(opener, 'a value filter cannot contain another "[": nested brackets');
    this.enter(opener);
    const outerType = this.scimType;
    this.scimType = 'invalidFilter';
    this.insideBrackets = true;
    if (this.peek().type === ']') {
      this.fail(this.peek(), `the value filter of ${JSON.stringify(path.attribute)} is empty`);
    }
    const filter = this.parseFilter();
    this.expect(']', opener);
    this.insideBrackets = false;
    this.scimType = outerType;
    this.depth--;
    return filter;
  }

  /** An optional `.subAttr` written directly after `]`. */
  parseSuffixSubAttribute(): string | undefined {
    const dot = this.peek();
    if (dot.type !== '.') return undefined;
    const closing = this.tokens[this.index - 1] as Token;
    const name = this.peek(1);
    const adjacent = closing.pos + 1 === dot.pos && name.pos === dot.pos + 1;
    if (name.type !== 'word' || !adjacent || !ATTRIBUTE_NAME.test(name.text)) {
      this.fail(
        dot,
        'expected a sub-attribute name directly after "]." (as in emails[type eq "work"].value)',
      );
    }
    this.index += 2;
    return name.text;
  }

  /** `[URI ":"] ATTRNAME ["." subAttr]` from one word token. */
  parsePath(): AttributePath {
    const token = this.next();
    if (token.type !== 'word') this.fail(token, `expected an attribute path, found ${describe(token)}`);
    const colon = token.text.lastIndexOf(':');
    const schema = colon >= 0 ? token.text.slice(0, colon) : undefined;
    if (schema !== undefined && !SCHEMA_URN.test(schema)) {
      this.fail(token, `${JSON.stringify(schema)} is not a schema URN (it must start with "urn:")`);
    }
    const [attribute = '', subAttribute, ...extra] = token.text.slice(colon + 1).split('.');
    const names = subAttribute === undefined ? [attribute] : [attribute, subAttribute];
    if (extra.length > 0 || !names.every((name) => ATTRIBUTE_NAME.test(name))) {
      this.fail(
        token,
        `${JSON.stringify(token.text)} is not an attribute path: write attribute, attribute.subAttribute or schemaUrn:attribute`,
      );
    }
    return {
      ...(schema === undefined ? {} : { schema }),
      attribute,
      ...(subAttribute === undefined ? {} : { subAttribute }),
    };
  }

  private parseOperator(path: AttributePath, pathToken: Token): ScimFilter {
    const token = this.peek();
    const op = token.type === 'word' ? token.text.toLowerCase() : '';
    if (op === 'pr') {
      this.index++;
      this.refuseValueAfterPresent();
      return { kind: 'present', path };
    }
    if (!COMPARE_OPS.has(op)) {
      if (this.isWord(pathToken, 'not') && token.type === 'word') {
        this.fail(pathToken, '"not" must be followed by a parenthesised filter, as in not (title pr)');
      }
      this.fail(
        token,
        `expected an operator (${OPERATOR_LIST}) after ${describe(pathToken)}, found ${describe(token)}`,
      );
    }
    this.index++;
    const value = this.parseValue(op);
    return { kind: 'compare', path, op: op as CompareOp, value };
  }

  private refuseValueAfterPresent(): void {
    const token = this.peek();
    const isValue =
      token.type === 'string' ||
      token.type === 'number' ||
      (token.type === 'word' && LITERALS.has(token.text.toLowerCase()));
    if (isValue) this.fail(token, `"pr" takes no value, found ${describe(token)}`);
  }

  private parseValue(op: string): CompareValue {
    const token = this.next();
    const value = this.literalValue(token, op);
    if (ORDERING_OPS.has(op) && (value === null || typeof value === 'boolean')) {
      this.fail(
        token,
        `"${op}" cannot compare with ${String(value)}: it orders strings, numbers and dateTimes only`,
      );
    }
    if (STRING_OPS.has(op) && typeof value !== 'string') {
      this.fail(token, `"${op}" needs a quoted string value, found ${describe(token)}`);
    }
    return value;
  }

  private literalValue(token: Token, op: string): CompareValue {
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'word') {
      const literal = LITERALS.get(token.text.toLowerCase());
      if (literal !== undefined) return literal;
      this.fail(
        token,
        `expected a value after "${op}", found the attribute name ${describe(token)}: filters compare attributes with literals only, so quote strings ("...")`,
      );
    }
    this.fail(
      token,
      `expected a value after "${op}" (a quoted string, a number, true, false or null), found ${describe(token)}`,
    );
  }
}
