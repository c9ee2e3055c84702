import { createPrivateKey, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { SAML_CERTIFICATE_COMMON_NAME, serialNumberFor } from '@/lambdas/saml/certificate';
import {
  KmsSamlSigner,
  LOCAL_SAML_KEY_FILE,
  LocalSamlSigner,
  SAML_ENV,
  samlSignerFromEnv,
} from '@/lambdas/saml/signer';
import { LOCAL_KEYS_DIR_ENV } from '@/lambdas/shared/constants';
import { SigningKeyError } from '@/lambdas/shared/signing';
import { KEY_ARN, mockKmsRsaKeys, NEXT_KEY_ARN, rsaKey } from '@/test/lambdas/saml/fixtures';

const kms = mockClient(KMSClient);
beforeEach(() => mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active'), [NEXT_KEY_ARN]: rsaKey('next') }));
afterEach(() => kms.reset());

const certificateOf = (base64: string | undefined) =>
  new X509Certificate(Buffer.from(base64 ?? '', 'base64'));

describe('KmsSamlSigner', () => {
  test('publishes a self-signed X.509 v3 certificate of the KMS key, signed through KMS', async () => {
    const [encoded, ...others] = await new KmsSamlSigner({ keyId: KEY_ARN }).certificates();
    const certificate = certificateOf(encoded);

    expect(others).toEqual([]);
    expect(certificate.subject).toBe(`CN=${SAML_CERTIFICATE_COMMON_NAME}`);
    expect(certificate.issuer).toBe(`CN=${SAML_CERTIFICATE_COMMON_NAME}`);
    expect(certificate.checkPrivateKey(rsaKey('active').privateKey)).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.serialNumber).toBe(
      Buffer.from(serialNumberFor(KEY_ARN)).toString('hex').toUpperCase(),
    );
    expect(certificate.validFrom).toBe('Jan  1 00:00:00 2025 GMT');
    expect(certificate.validTo).toBe('Dec 31 23:59:59 9999 GMT');
    expect(certificate.ca).toBe(false);
    expect(certificate.toString()).toContain('-----BEGIN CERTIFICATE-----');
  });

  test('is deterministic across containers and builds the certificate once per container', async () => {
    const signer = new KmsSamlSigner({ keyId: KEY_ARN });
    const first = await signer.certificates();
    const again = await signer.certificates();
    const otherContainer = await new KmsSamlSigner({ keyId: KEY_ARN }).certificates();

    expect(again).toBe(first);
    expect(otherContainer).toEqual(first);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(2);
  });

  test('during a rotation publishes both keys, the signing key first, and signs with the first', async () => {
    const signer = new KmsSamlSigner({ keyId: KEY_ARN, nextKeyId: NEXT_KEY_ARN });
    const [active, next] = await signer.certificates();
    const data = Buffer.from('<ds:SignedInfo></ds:SignedInfo>');
    const signature = await signer.sign(data);

    expect(certificateOf(active).checkPrivateKey(rsaKey('active').privateKey)).toBe(true);
    expect(certificateOf(next).checkPrivateKey(rsaKey('next').privateKey)).toBe(true);
    expect(certificateOf(next).verify(certificateOf(next).publicKey)).toBe(true);
    expect(certificateOf(active).serialNumber).not.toBe(certificateOf(next).serialNumber);
    expect(verify('sha256', data, rsaKey('active').publicKey, signature)).toBe(true);
  });

  test('refuses a key that is not an RSA_2048 signing key, and retries on the next call', async () => {
    kms.reset();
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PublicKey: new Uint8Array(1) });
    const signer = new KmsSamlSigner({ keyId: KEY_ARN });

    await expect(signer.certificates()).rejects.toThrow(
      new SigningKeyError(
        `the SAML signing key ${KEY_ARN} must be an RSA_2048 SIGN_VERIFY key (got ECC_NIST_P256 SIGN_VERIFY)`,
      ),
    );
    mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active') });
    await expect(signer.certificates()).resolves.toHaveLength(1);
  });

  test('refuses an empty signature from KMS', async () => {
    kms.on(SignCommand).resolves({});
    await expect(new KmsSamlSigner({ keyId: KEY_ARN }).sign(Buffer.from('x'))).rejects.toThrow(
      'kms:Sign returned no signature',
    );
  });
});

describe('LocalSamlSigner', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'staxid-saml-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  test('creates an RSA-2048 key file (0600) on first use and reuses it on the next construction', async () => {
    const signer = new LocalSamlSigner(join(directory, 'keys'));
    const [certificate] = await signer.certificates();
    const file = join(directory, 'keys', LOCAL_SAML_KEY_FILE);
    const key = createPrivateKey(readFileSync(file, 'utf8'));

    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificateOf(certificate).checkPrivateKey(key)).toBe(true);
    expect(certificateOf(certificate).verify(certificateOf(certificate).publicKey)).toBe(true);
    await expect(new LocalSamlSigner(join(directory, 'keys')).certificates()).resolves.toEqual([certificate]);
    const data = Buffer.from('signed info');
    expect(verify('sha256', data, key, await new LocalSamlSigner(join(directory, 'keys')).sign(data))).toBe(
      true,
    );
  });

  test('touches no file before first use', () => {
    new LocalSamlSigner(join(directory, 'keys'));
    expect(() => statSync(join(directory, 'keys'))).toThrow(/ENOENT/);
  });
});

describe('samlSignerFromEnv', () => {
  test('local mode wins: the key file under the local keys directory', () => {
    const signer = samlSignerFromEnv({
      [LOCAL_KEYS_DIR_ENV]: '/tmp/staxid-saml-env',
      [SAML_ENV.keyId]: KEY_ARN,
    });
    expect(signer).toBeInstanceOf(LocalSamlSigner);
  });

  test('else the KMS key(s), one signer per container and configuration', async () => {
    const env = { [SAML_ENV.keyId]: KEY_ARN, [SAML_ENV.nextKeyId]: NEXT_KEY_ARN };
    const signer = samlSignerFromEnv(env);

    expect(signer).toBeInstanceOf(KmsSamlSigner);
    expect(samlSignerFromEnv({ ...env })).toBe(signer);
    expect(samlSignerFromEnv({ [SAML_ENV.keyId]: KEY_ARN })).not.toBe(signer);
    await expect(signer.certificates()).resolves.toHaveLength(2);
  });

  test('refuses to run unconfigured', () => {
    expect(() => samlSignerFromEnv({})).toThrow(
      new SigningKeyError(
        `environment variable ${SAML_ENV.keyId} (the KMS key ARN) is not set, nor ${LOCAL_KEYS_DIR_ENV} (local mode)`,
      ),
    );
  });
});
