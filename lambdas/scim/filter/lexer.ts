/**
 * Splits filter text into tokens. The lexer never throws: text it cannot read becomes an
 * `invalid` token carrying the reason, and the parser raises it with the scimType of the
 * place it occurs (a bad character inside a PATCH path's brackets is an invalidFilter).
 */

export type Token =
  | { readonly type: '(' | ')' | '[' | ']' | '.' | 'end'; readonly pos: number; readonly text: string }
  | { readonly type: 'word'; readonly pos: number; readonly text: string }
  | { readonly type: 'string'; readonly pos: number; readonly text: string; readonly value: string }
  | { readonly type: 'number'; readonly pos: number; readonly text: string; readonly value: number }
  | { readonly type: 'invalid'; readonly pos: number; readonly text: string; readonly reason: string };

const WHITESPACE = /[ \t\r\n]/;
const PUNCTUATION = new Set(['(', ')', '[', ']', '.']);
const WORD = /[A-Za-z_$][A-Za-z0-9_$:.-]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WORD_CHAR = /[A-Za-z0-9_$]/;

/** All tokens of `text`, ending with an `end` token (or stopping at the first `invalid` one). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && WHITESPACE.test(text.charAt(pos))) pos++;
    if (pos >= text.length) {
      tokens.push({ type: 'end', pos, text: '' });
      return tokens;
    }
    const token = readToken(text, pos);
    tokens.push(token);
    if (token.type === 'invalid') return tokens;
    pos += token.text.length;
  }
}

function readToken(text: string, pos: number): Token {
  const char = text.charAt(pos);
  if (PUNCTUATION.has(char)) return { type: char as '(' | ')' | '[' | ']' | '.', pos, text: char };
  if (char === '"') return readString(text, pos);
  if (char === '-' || (char >= '0' && char <= '9')) return readNumber(text, pos);
  WORD.lastIndex = pos;
  const word = WORD.exec(text);
  if (word) return { type: 'word', pos, text: word[0] };
  return { type: 'invalid', pos, text: char, reason: `unexpected character ${JSON.stringify(char)}` };
}

function readString(text: string, pos: number): Token {
  let end = pos + 1;
  while (end < text.length && text.charAt(end) !== '"') end += text.charAt(end) === '\\' ? 2 : 1;
  if (end >= text.length) {
    return { type: 'invalid', pos, text: '"', reason: 'unterminated string: close it with a double quote' };
  }
  const literal = text.slice(pos, end + 1);
  try {
    return { type: 'string', pos, text: literal, value: JSON.parse(literal) as string };
  } catch {
    return {
      type: 'invalid',
      pos,
      text: '"',
      reason: 'invalid string: escape quotes and backslashes as \\" and \\\\, control characters as \\uXXXX',
    };
  }
}

function readNumber(text: string, pos: number): Token {
  NUMBER.lastIndex = pos;
  const match = NUMBER.exec(text);
  const literal = match?.[0] ?? '';
  const value = Number(literal);
  if (
    !match ||
    WORD_CHAR.test(text.charAt(pos + literal.length)) ||
    text.charAt(pos + literal.length) === '.'
  ) {
    return {
      type: 'invalid',
      pos,
      text: text.charAt(pos),
      reason: 'invalid number: write it as a JSON number',
    };
  }
  if (!Number.isFinite(value)) {
    return { type: 'invalid', pos, text: literal, reason: `number ${literal} is out of range` };
  }
  return { type: 'number', pos, text: literal, value };
}
