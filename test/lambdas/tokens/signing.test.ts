import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LOCAL_KEYS_DIR_ENV, TOKEN_SIGNING_KEY_ENV } from '@/lambdas/shared/constants';
import {
  derToJose,
  KmsTokenSigner,
  LOCAL_SIGNING_KEY_FILE,
  LocalTokenSigner,
  SigningKeyError,
  signerFromEnv,
  signJwt,
  type TokenSigner,
} from '@/lambdas/shared/signing';

const KEY_ARN = 'arn:aws:kms:eu-west-1:222222222222:key/0d6f3b8e-1111-4222-8333-444455556666';
const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

/** A KMS key stand-in: GetPublicKey answers the SPKI, Sign answers a DER ECDSA signature as KMS does. */
function mockKmsKey(privateKey: KeyObject, publicKey: KeyObject): void {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
    PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
    KeyId: KEY_ARN,
    SigningAlgorithm: 'ECDSA_SHA_256',
    Signature: new Uint8Array(sign('sha256', input.Message, { key: privateKey, dsaEncoding: 'der' })),
  }));
}

async function verify(signer: TokenSigner, token: string) {
  return jwtVerify(token, createLocalJWKSet({ keys: [{ ...(await signer.publicJwk()) }] }), {
    algorithms: ['ES256'],
  });
}

describe('derToJose', () => {
  test('strips the sign byte of a high r and pads a short s to 32 bytes each', () => {
    const r = Buffer.alloc(32, 0xab); // high bit set: DER carries a leading 0x00
    const s = Buffer.alloc(31, 0x11); // a short integer: padded on the left
    const der = Buffer.concat([
      Buffer.from([0x30, 2 + 33 + 2 + 31, 0x02, 33, 0x00]),
      r,
      Buffer.from([0x02, 31]),
      s,
    ]);
    expect(Buffer.from(derToJose(der)).toString('hex')).toBe(`${r.toString('hex')}00${s.toString('hex')}`);
  });

  test.each([
    [
      'not a SEQUENCE',
      [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
      'ECDSA signature is not a DER SEQUENCE',
    ],
    [
      'a wrong length',
      [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
      'ECDSA signature has a wrong length',
    ],
    ['truncated', [0x30, 0x04, 0x02, 0x05, 0x01, 0x02], 'ECDSA signature is truncated'],
    [
      'not INTEGERs',
      [0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01],
      'ECDSA signature component is not an INTEGER',
    ],
    [
      'an oversized component',
      [0x30, 0x26, 0x02, 0x21, ...Array<number>(33).fill(0x7f), 0x02, 0x01, 0x01],
      'ECDSA signature component is too long',
    ],
  ])('refuses a signature that is %s', (_, bytes, message) => {
    expect(() => derToJose(Uint8Array.from(bytes))).toThrow(new SigningKeyError(message));
  });
});

describe('KmsTokenSigner', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  test('signs JWTs that verify against its JWK, whatever the DER lengths KMS returns', async () => {
    mockKmsKey(privateKey, publicKey);
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    // ~1 in 128 signatures has a short r or s: 300 make every DER shape likely.
    for (let index = 0; index < 300; index += 1) {
      const token = await signJwt(signer, { sub: `s-${index}` }, 'at+jwt');
      await expect(verify(signer, token)).resolves.toMatchObject({ payload: { sub: `s-${index}` } });
    }
    expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toMatchObject({
      KeyId: KEY_ARN,
      MessageType: 'RAW',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
  });

  test('publishes the key as an ES256 JWK whose kid is its RFC 7638 thumbprint, fetched once', async () => {
    mockKmsKey(privateKey, publicKey);
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    const jwk = await signer.publicJwk();
    const { x, y } = publicKey.export({ format: 'jwk' });
    expect(jwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x,
      y,
      kid: await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x, y }),
      alg: 'ES256',
      use: 'sig',
    });
    await signer.publicJwk();
    await signJwt(signer, {}, 'at+jwt');
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    // The same key gives the same kid locally: a JWKS does not change with where the key lives.
    expect((await new LocalTokenSigner(privateKey).publicJwk()).kid).toBe(jwk.kid);
  });

  test('puts alg, kid and typ in the header', async () => {
    mockKmsKey(privateKey, publicKey);
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    const token = await signJwt(signer, {}, 'at+jwt');
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'ES256',
      kid: (await signer.publicJwk()).kid,
      typ: 'at+jwt',
    });
  });

  test('fetches the public key again after a failure', async () => {
    mockKmsKey(privateKey, publicKey);
    kms
      .on(GetPublicKeyCommand)
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
        PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      });
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    await expect(signer.publicJwk()).rejects.toThrow('ThrottlingException');
    await expect(signer.publicJwk()).resolves.toMatchObject({ kty: 'EC' });
  });

  test.each([
    [
      { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'] },
      'RSA_2048 SIGN_VERIFY',
    ],
    [
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT', SigningAlgorithms: [] },
      'ECC_NIST_P256 KEY_AGREEMENT',
    ],
  ] as const)('refuses a key that is not an ECC_NIST_P256 signing key (%j)', async (answer, got) => {
    kms.on(GetPublicKeyCommand).resolves({
      ...answer,
      SigningAlgorithms: [...answer.SigningAlgorithms],
      PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    });
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    await expect(signer.publicJwk()).rejects.toThrow(
      new SigningKeyError(`the token signing key must be an ECC_NIST_P256 SIGN_VERIFY key (got ${got})`),
    );
  });

  test('refuses to send more than KMS signs raw', async () => {
    const signer = new KmsTokenSigner(new KMSClient({}), KEY_ARN);
    await expect(signer.sign(new Uint8Array(4097))).rejects.toThrow(
      'a JWT to sign must be at most 4096 bytes',
    );
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });
});

describe('LocalTokenSigner', () => {
  let keys: string;
  beforeEach(() => {
    keys = join(mkdtempSync(join(tmpdir(), 'staxid-home-')), 'keys');
  });
  afterEach(() => rmSync(join(keys, '..'), { recursive: true, force: true }));

  test('creates its key on first use, readable only by the owner, and reuses it', async () => {
    const first = LocalTokenSigner.fromDirectory(keys);
    const file = join(keys, LOCAL_SIGNING_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(keys).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const second = LocalTokenSigner.fromDirectory(keys);
    expect((await second.publicJwk()).kid).toBe((await first.publicJwk()).kid);
    await expect(verify(second, await signJwt(first, { sub: 'x' }, 'at+jwt'))).resolves.toBeDefined();
  });

  test('refuses a key that is not P-256', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await expect(new LocalTokenSigner(privateKey).publicJwk()).rejects.toThrow(
      new SigningKeyError('the token signing key must be an EC P-256 key'),
    );
  });
});

describe('signerFromEnv', () => {
  test('uses the KMS key when its ARN is set, else the local key directory, built once', () => {
    const keys = mkdtempSync(join(tmpdir(), 'staxid-keys-'));
    try {
      const kmsSigner = signerFromEnv({ [TOKEN_SIGNING_KEY_ENV]: KEY_ARN, [LOCAL_KEYS_DIR_ENV]: keys });
      expect(kmsSigner).toBeInstanceOf(KmsTokenSigner);
      const local = signerFromEnv({ [LOCAL_KEYS_DIR_ENV]: keys });
      expect(local).toBeInstanceOf(LocalTokenSigner);
      expect(signerFromEnv({ [LOCAL_KEYS_DIR_ENV]: keys })).toBe(local);
    } finally {
      rmSync(keys, { recursive: true, force: true });
    }
  });

  test('says what to set when neither is', () => {
    expect(() => signerFromEnv({})).toThrow(
      'environment variable STAXID_TOKEN_SIGNING_KEY_ID (the KMS key ARN) is not set, nor STAXID_LOCAL_KEYS_DIR (local mode)',
    );
  });
});
