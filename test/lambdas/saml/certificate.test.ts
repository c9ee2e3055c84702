import { X509Certificate } from 'node:crypto';
import {
  objectIdentifier,
  selfSignedCertificate,
  serialNumberFor,
  tlv,
  unsignedInteger,
} from '@/lambdas/saml/certificate';
import { rsaKey } from '@/test/lambdas/saml/fixtures';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('DER writer', () => {
  test('writes short and long definite lengths', () => {
    expect(hex(tlv(0x04, Uint8Array.of(1, 2)))).toBe('04020102');
    expect(hex(tlv(0x04, new Uint8Array(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8)).toBe('0482012c');
  });

  test('writes minimal non-negative INTEGERs', () => {
    expect(hex(unsignedInteger(Uint8Array.of(2)))).toBe('020102');
    expect(hex(unsignedInteger(Uint8Array.of(0, 0, 0x7f)))).toBe('02017f');
    expect(hex(unsignedInteger(Uint8Array.of(0x80)))).toBe('02020080');
    expect(hex(unsignedInteger(Uint8Array.of(0)))).toBe('020100');
  });

  test('writes OBJECT IDENTIFIERs with base-128 arcs', () => {
    expect(hex(objectIdentifier('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(objectIdentifier('2.5.4.3'))).toBe('0603550403');
  });

  test('derives a positive 16-byte serial from the key id', () => {
    const serial = serialNumberFor('key');
    expect(serial).toHaveLength(16);
    expect((serial[0] ?? 0) & 0xc0).toBe(0x40);
    expect(hex(serialNumberFor('key'))).toBe(hex(serial));
    expect(hex(serialNumberFor('other key'))).not.toBe(hex(serial));
  });
});

describe('selfSignedCertificate', () => {
  test('a certificate whose signature does not match the key fails verification', async () => {
    const { publicKey } = rsaKey('active');
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const der = await selfSignedCertificate(spki, 'seed', async () => new Uint8Array(256).fill(1));
    const certificate = new X509Certificate(der);
    expect(certificate.verify(publicKey)).toBe(false);
    expect(certificate.checkPrivateKey(rsaKey('active').privateKey)).toBe(true);
  });
});
