import { createHash } from 'node:crypto';

/**
 * The self-signed X.509 v3 certificate that carries the SAML signing key's public half in the
 * IdP metadata. A KMS key has no certificate, and AWS reads the SAML key only from a
 * certificate, so staxid writes one (RFC 5280) with a small DER writer and has the key sign
 * it. The certificate is deterministic (same key and serial seed → same bytes: RSASSA-PKCS1-v1_5
 * is deterministic), so every container publishes the same metadata (docs/decisions/0011).
 */

/** Subject and issuer common name of every staxid SAML certificate. */
export const SAML_CERTIFICATE_COMMON_NAME = 'staxid SAML signing';

/** Fixed validity: from 2025-01-01, and "no well-defined expiration" (RFC 5280 §4.1.2.5) after. */
const NOT_BEFORE = '250101000000Z';
const NOT_AFTER = '99991231235959Z';

const OID = {
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
} as const;

function length(size: number): Uint8Array {
  if (size < 0x80) return Uint8Array.of(size);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One DER TLV: tag, definite length, content. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.of(tag), length(body.length), body]);
}

const sequence = (...content: readonly Uint8Array[]) => tlv(0x30, ...content);
const set = (...content: readonly Uint8Array[]) => tlv(0x31, ...content);
const explicit = (tagNumber: number, ...content: readonly Uint8Array[]) => tlv(0xa0 | tagNumber, ...content);
const utf8String = (value: string) => tlv(0x0c, Buffer.from(value, 'utf8'));
const octetString = (...content: readonly Uint8Array[]) => tlv(0x04, ...content);
const bitString = (bytes: Uint8Array) => tlv(0x03, Uint8Array.of(0), bytes);
const nullValue = () => tlv(0x05);
const booleanTrue = () => tlv(0x01, Uint8Array.of(0xff));

/** A non-negative INTEGER from big-endian bytes, in the minimal DER encoding. */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const digits = bytes.subarray(start);
  const needsSignByte = digits.length === 0 || (digits[0] ?? 0) >= 0x80;
  return tlv(0x02, needsSignByte ? Uint8Array.of(0) : new Uint8Array(), digits);
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function objectIdentifier(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      base128.unshift(0x80 | (value & 0x7f));
    }
    bytes.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

const sha256WithRsa = () => sequence(objectIdentifier(OID.sha256WithRsaEncryption), nullValue());

function name(commonName: string): Uint8Array {
  return sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
}

/** Critical extensions: not a CA; the key signs (digitalSignature) and nothing else. */
function extensions(): Uint8Array {
  const basicConstraints = sequence(objectIdentifier(OID.basicConstraints), octetString(sequence()));
  const keyUsage = sequence(
    objectIdentifier(OID.keyUsage),
    booleanTrue(),
    octetString(tlv(0x03, Uint8Array.of(7), Uint8Array.of(0x80))),
  );
  return explicit(3, sequence(basicConstraints, keyUsage));
}

/** A positive 16-byte serial derived from `seed` (the key id), so it is stable across containers. */
export function serialNumberFor(seed: string): Uint8Array {
  const serial = createHash('sha256').update(seed, 'utf8').digest().subarray(0, 16);
  // High bit clear (positive), second bit set (no leading zero byte): a minimal 16-byte INTEGER.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial;
}

/** The TBSCertificate: what the key signs. `spki` is the DER SubjectPublicKeyInfo. */
export function tbsCertificate(spki: Uint8Array, serialSeed: string): Uint8Array {
  const subject = name(SAML_CERTIFICATE_COMMON_NAME);
  return sequence(
    explicit(0, unsignedInteger(Uint8Array.of(2))),
    unsignedInteger(serialNumberFor(serialSeed)),
    sha256WithRsa(),
    subject,
    sequence(tlv(0x17, Buffer.from(NOT_BEFORE, 'ascii')), tlv(0x18, Buffer.from(NOT_AFTER, 'ascii'))),
    subject,
    spki,
    extensions(),
  );
}

/**
 * The self-signed certificate of an RSA key, DER-encoded. `signTbs` signs the TBSCertificate
 * with RSASSA-PKCS1-v1_5 SHA-256 using the private half of `spki`'s key.
 */
export async function selfSignedCertificate(
  spki: Uint8Array,
  serialSeed: string,
  signTbs: (tbs: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const tbs = tbsCertificate(spki, serialSeed);
  const signature = await signTbs(tbs);
  return sequence(tbs, sha256WithRsa(), bitString(signature));
}
