/**
 * A tiny writer of XML that is already in exclusive canonical form (xml-exc-c14n, which for
 * the documents staxid writes equals Canonical XML 1.0 output): no XML declaration, no
 * whitespace between elements, explicit end tags, namespace declarations before attributes,
 * attributes sorted, and text and attribute values escaped exactly as c14n escapes them.
 * Because the output is canonical, the bytes written are the bytes signed: no XML library
 * is needed in the Lambda to canonicalize before digesting (docs/decisions/0011).
 *
 * The writer emits namespace declarations where the caller puts them; callers put each one
 * on the outermost element that uses its prefix, which is where exclusive c14n renders it.
 * All attributes staxid writes are unprefixed, so sorting by name is c14n's attribute order.
 */

/**
 * Characters XML 1.0 can carry at all (the `Char` production); anything else cannot be
 * escaped. NEL (U+0085) and LINE SEPARATOR (U+2028) are refused too: XML 1.1 parsers (and
 * some 1.0 ones, @xmldom/xmldom among them) turn them into line feeds, which would change
 * the signed bytes on the way.
 */
const NOT_AN_XML_CHARACTER =
  /[^\t\n\r\u0020-\u0084\u0086-\u2027\u2029-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A value holds a character XML 1.0 cannot represent (a control character, a lone surrogate). */
export class XmlCharacterError extends Error {
  readonly code = 'XmlCharacterError';

  constructor(readonly value: string) {
    super(`a value holds a character XML cannot represent: ${JSON.stringify(value)}`);
    this.name = 'XmlCharacterError';
  }
}

/** Whether every character of `value` can appear in an XML 1.0 document. */
export function isXmlText(value: string): boolean {
  return !NOT_AN_XML_CHARACTER.test(value);
}

function assertXmlText(value: string): void {
  if (!isXmlText(value)) throw new XmlCharacterError(value);
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#xD;',
};

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Character data as c14n writes it (Canonical XML 1.0 §2.3, text nodes). */
export function escapeText(value: string): string {
  assertXmlText(value);
  return value.replace(/[&<>\r]/g, (character) => TEXT_ESCAPES[character] ?? character);
}

/** An attribute value as c14n writes it (Canonical XML 1.0 §2.3, attribute nodes). */
export function escapeAttribute(value: string): string {
  assertXmlText(value);
  return value.replace(/[&<"\t\n\r]/g, (character) => ATTRIBUTE_ESCAPES[character] ?? character);
}

/** Code-unit order, as c14n sorts (not locale order). */
function byName([left]: readonly [string, string], [right]: readonly [string, string]): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * One element in canonical form. `attributes` may hold namespace declarations (`xmlns:p`):
 * they are written first, then the other attributes, each group sorted. `content` is either
 * text (escaped here) or child elements already written by this function.
 */
export function element(
  name: string,
  attributes: Readonly<Record<string, string>>,
  content: string | readonly string[] = [],
): string {
  const entries = Object.entries(attributes);
  const namespaces = entries.filter(([key]) => key === 'xmlns' || key.startsWith('xmlns:')).sort(byName);
  const plain = entries.filter(([key]) => key !== 'xmlns' && !key.startsWith('xmlns:')).sort(byName);
  const rendered = [...namespaces, ...plain].map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`);
  const inner = typeof content === 'string' ? escapeText(content) : content.join('');
  return `<${name}${rendered.join('')}>${inner}</${name}>`;
}
