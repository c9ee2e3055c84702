import { createHash, verify } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import {
  element,
  escapeAttribute,
  escapeText,
  isXmlText,
  XmlCharacterError,
} from '@/lambdas/saml/canonical-xml';
import { buildSignedSamlResponse } from '@/lambdas/saml/response';
import { KmsSamlSigner } from '@/lambdas/saml/signer';
import {
  canonicalize,
  DSIG,
  firstElement,
  KEY_ARN,
  mockKmsRsaKeys,
  parseXml,
  rsaKey,
  SAML_ASSERTION,
  signInAssertion,
} from '@/test/lambdas/saml/fixtures';

/** Any XML-representable string, biased towards what c14n escapes and towards non-ASCII. */
const xmlString = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('<', '>', '&', '"', "'", '\r', '\n', '\t', '\r\n', ']]>', ' '),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
  })
  .filter(isXmlText);

describe('element', () => {
  test('writes exactly what xml-crypto’s exclusive c14n makes of the parsed output', () => {
    fc.assert(
      fc.property(xmlString, xmlString, xmlString, (text, first, second) => {
        const xml = element('p:Outer', { 'xmlns:p': 'urn:example:p', Zed: first, Alpha: second }, [
          element('p:Inner', { Value: text }, text),
          element('p:Empty', {}),
        ]);
        expect(canonicalize(parseXml(xml))).toBe(xml);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses NEL and LINE SEPARATOR, which some parsers turn into line feeds (found by the property above)', () => {
    expect(() => element('p:E', { Value: 'a\u2028b' })).toThrow(XmlCharacterError);
    expect(() => element('p:E', {}, 'a\u0085b')).toThrow(XmlCharacterError);
  });

  test('sorts namespace declarations first, then attributes by code unit, and writes end tags', () => {
    expect(element('a:E', { b: '1', B: '2', 'xmlns:a': 'urn:a', A: '3' })).toBe(
      '<a:E xmlns:a="urn:a" A="3" B="2" b="1"></a:E>',
    );
  });

  test('escapes text and attribute values as c14n does', () => {
    expect(escapeText('a&b<c>d"e\'f\r\n\tg')).toBe('a&amp;b&lt;c&gt;d"e\'f&#xD;\n\tg');
    expect(escapeAttribute('a&b<c>d"e\'f\r\n\tg')).toBe("a&amp;b&lt;c>d&quot;e'f&#xD;&#xA;&#x9;g");
  });

  test.each([
    ['a NUL', 'a\u0000b'],
    ['a vertical tab', 'a\u000bb'],
    ['a lone surrogate', 'a\ud800b'],
    ['U+FFFE', 'a\ufffeb'],
  ])('refuses %s, which XML cannot carry', (_, value) => {
    expect(() => element('E', {}, value)).toThrow(XmlCharacterError);
    expect(() => element('E', { A: value })).toThrow(XmlCharacterError);
  });
});

describe('buildSignedSamlResponse output', () => {
  const kms = mockClient(KMSClient);
  beforeAll(() => mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active') }));
  afterAll(() => kms.restore());

  /** Tag keys and values from everything AWS allows: letters, digits and spaces of any script, and _.:/=+-@. */
  const tagCharacter = fc.oneof(
    fc.constantFrom('_', '.', ':', '/', '=', '+', '-', '@', ' ', '\u00a0', '\u3000'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => /^[\p{L}\p{N}]+$/u.test(c)),
  );
  const tagKey = fc
    .string({ unit: tagCharacter, minLength: 1, maxLength: 20 })
    .filter((key) => !key.toLowerCase().startsWith('aws:'));
  const tags = fc.dictionary(tagKey, fc.string({ unit: tagCharacter, maxLength: 40 }), { maxKeys: 5 });

  test('is canonical as a whole, in its assertion without the signature, and in SignedInfo', async () => {
    const signer = new KmsSamlSigner({ keyId: KEY_ARN, kms: new KMSClient({}) });
    await fc.assert(
      fc.asyncProperty(
        tags.filter(
          (t) => new Set(Object.keys(t).map((k) => k.toLowerCase())).size === Object.keys(t).length,
        ),
        async (principalTags) => {
          const xml = await buildSignedSamlResponse(signInAssertion({ principalTags }), signer);
          const root = parseXml(xml);
          expect(canonicalize(root)).toBe(xml);

          const assertion = firstElement(root, SAML_ASSERTION, 'Assertion');
          const signature = firstElement(assertion, DSIG, 'Signature');
          const digest = firstElement(signature, DSIG, 'DigestValue').textContent;
          const signedInfo = canonicalize(firstElement(signature, DSIG, 'SignedInfo'));
          const signatureValue = firstElement(signature, DSIG, 'SignatureValue').textContent ?? '';
          expect(
            verify(
              'sha256',
              Buffer.from(signedInfo),
              rsaKey('active').publicKey,
              Buffer.from(signatureValue, 'base64'),
            ),
          ).toBe(true);
          assertion.removeChild(signature);
          expect(createHash('sha256').update(canonicalize(assertion)).digest('base64')).toBe(digest);
        },
      ),
      { numRuns: 50 },
    );
  });
});
