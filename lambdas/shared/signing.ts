import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { base64url, calculateJwkThumbprint, type JWTPayload } from 'jose';
import { LOCAL_KEYS_DIR_ENV, TOKEN_SIGNING_KEY_ENV } from '@/lambdas/shared/constants';
import { readOrCreateSecretFile } from '@/lambdas/shared/secrets';

/**
 * The port through which staxid signs its own JWTs (ES256): a KMS asymmetric key
 * (ECC_NIST_P256, SIGN_VERIFY) in AWS, a PEM key under `$STAXID_HOME/keys/` locally.
 * The private key never reaches code in AWS; the public key is published as a JWK whose
 * `kid` is its RFC 7638 thumbprint, so the same key always has the same `kid`.
 */

export const TOKEN_SIGNING_ALGORITHM = 'ES256';

/** The public half of the signing key, as published in the JWKS. */
export interface PublicSigningJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: typeof TOKEN_SIGNING_ALGORITHM;
  readonly use: 'sig';
}

export interface TokenSigner {
  /** The public key with its `kid`; fetched once and cached for the life of the signer. */
  publicJwk(): Promise<PublicSigningJwk>;
  /** Signs a JWS signing input (`base64url(header).base64url(payload)`); returns the JOSE signature (r‖s, 64 bytes). */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** The signing key is missing, of the wrong kind, or answered with something unusable. */
export class SigningKeyError extends Error {
  readonly code = 'SigningKeyError';

  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/** Signs a JWT with the signer: header `{alg: ES256, kid, typ}`; the payload is taken as is. */
export async function signJwt(signer: TokenSigner, payload: JWTPayload, typ: string): Promise<string> {
  const { kid } = await signer.publicJwk();
  const header = { alg: TOKEN_SIGNING_ALGORITHM, kid, typ };
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const signature = await signer.sign(new TextEncoder().encode(input));
  return `${input}.${base64url.encode(signature)}`;
}

/** The JWK (with thumbprint `kid`) of a P-256 public key. */
export async function publicJwkOf(key: KeyObject): Promise<PublicSigningJwk> {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SigningKeyError('the token signing key must be an EC P-256 key');
  }
  const { x, y } = key.export({ format: 'jwk' });
  if (typeof x !== 'string' || typeof y !== 'string') {
    throw new SigningKeyError('the token signing key could not be exported as a JWK');
  }
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x, y }, 'sha256');
  return { kty: 'EC', crv: 'P-256', x, y, kid, alg: TOKEN_SIGNING_ALGORITHM, use: 'sig' };
}

/**
 * Converts a DER-encoded ECDSA signature (`SEQUENCE { INTEGER r, INTEGER s }`, as KMS
 * returns it) to the JOSE form: r and s as unsigned big-endian integers of `size` bytes
 * each, concatenated (RFC 7518 §3.4).
 */
export function derToJose(der: Uint8Array, size = 32): Uint8Array {
  let offset = 0;
  const byte = (): number => {
    const value = der[offset];
    if (value === undefined) throw new SigningKeyError('ECDSA signature is truncated');
    offset += 1;
    return value;
  };
  const length = (): number => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) throw new SigningKeyError('ECDSA signature has an unsupported length');
    return byte();
  };
  if (byte() !== 0x30) throw new SigningKeyError('ECDSA signature is not a DER SEQUENCE');
  if (length() !== der.length - offset) throw new SigningKeyError('ECDSA signature has a wrong length');
  const output = new Uint8Array(size * 2);
  for (const position of [0, size]) {
    if (byte() !== 0x02) throw new SigningKeyError('ECDSA signature component is not an INTEGER');
    const integerLength = length();
    let integer = der.subarray(offset, offset + integerLength);
    if (integer.length !== integerLength) throw new SigningKeyError('ECDSA signature is truncated');
    offset += integerLength;
    // DER integers are signed: a leading zero byte keeps a high first bit positive.
    while (integer.length > 0 && integer[0] === 0) integer = integer.subarray(1);
    if (integer.length > size) throw new SigningKeyError('ECDSA signature component is too long');
    output.set(integer, position + size - integer.length);
  }
  if (offset !== der.length) throw new SigningKeyError('ECDSA signature has trailing bytes');
  return output;
}

/** Largest message KMS signs with `MessageType: RAW`. */
const KMS_MAX_RAW_MESSAGE_BYTES = 4096;

/**
 * The KMS key as a signer: `kms:GetPublicKey` once (the JWK), `kms:Sign` with
 * ECDSA_SHA_256 per token. `keyId` is the key's ARN (or id, or alias).
 */
export class KmsTokenSigner implements TokenSigner {
  private jwk: Promise<PublicSigningJwk> | undefined;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  publicJwk(): Promise<PublicSigningJwk> {
    if (!this.jwk) {
      const loading = this.loadPublicJwk();
      // A failed load (throttling, a network blip) is retried on the next call, not cached.
      loading.catch(() => {
        if (this.jwk === loading) this.jwk = undefined;
      });
      this.jwk = loading;
    }
    return this.jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    if (signingInput.length > KMS_MAX_RAW_MESSAGE_BYTES) {
      throw new SigningKeyError(`a JWT to sign must be at most ${KMS_MAX_RAW_MESSAGE_BYTES} bytes`);
    }
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: signingInput,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!Signature) throw new SigningKeyError('kms:Sign returned no signature');
    return derToJose(Signature);
  }

  private async loadPublicJwk(): Promise<PublicSigningJwk> {
    const response = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (
      response.KeySpec !== 'ECC_NIST_P256' ||
      response.KeyUsage !== 'SIGN_VERIFY' ||
      !response.SigningAlgorithms?.includes('ECDSA_SHA_256') ||
      !response.PublicKey
    ) {
      throw new SigningKeyError(
        `the token signing key must be an ECC_NIST_P256 SIGN_VERIFY key (got ${response.KeySpec ?? 'no key spec'} ${response.KeyUsage ?? 'no key usage'})`,
      );
    }
    return publicJwkOf(
      createPublicKey({ key: Buffer.from(response.PublicKey), format: 'der', type: 'spki' }),
    );
  }
}

/** The file, under the local keys directory, that holds the local signing key (PKCS#8 PEM). */
export const LOCAL_SIGNING_KEY_FILE = 'token-signing-key.pem';

/**
 * Local mode's stand-in for the KMS key: an EC P-256 key in `<dir>/token-signing-key.pem`,
 * created (mode 0600) on first use and reused afterwards, so tokens survive restarts.
 */
export class LocalTokenSigner implements TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly jwk: Promise<PublicSigningJwk>;

  constructor(privateKey: KeyObject) {
    this.privateKey = privateKey;
    this.jwk = publicJwkOf(createPublicKey(privateKey));
    // Reported to the caller of publicJwk(); not an unhandled rejection meanwhile.
    this.jwk.catch(() => {});
  }

  static fromDirectory(directory: string): LocalTokenSigner {
    const pem = readOrCreateSecretFile(join(directory, LOCAL_SIGNING_KEY_FILE), () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
    );
    return new LocalTokenSigner(createPrivateKey(pem));
  }

  publicJwk(): Promise<PublicSigningJwk> {
    return this.jwk;
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', signingInput, { key: this.privateKey, dsaEncoding: 'ieee-p1363' }));
  }
}

let cached: { readonly source: string; readonly signer: TokenSigner } | undefined;

/**
 * The signer this function is configured with: the KMS key in `STAXID_TOKEN_SIGNING_KEY_ID`,
 * else (local mode) the key file under `STAXID_LOCAL_KEYS_DIR`. Built once per container
 * and configuration, so the public key is fetched once.
 */
export function signerFromEnv(env: NodeJS.ProcessEnv = process.env): TokenSigner {
  const keyId = env[TOKEN_SIGNING_KEY_ENV];
  const localDirectory = env[LOCAL_KEYS_DIR_ENV];
  const source = keyId ? `kms:${keyId}` : localDirectory ? `local:${localDirectory}` : undefined;
  if (source === undefined) {
    throw new SigningKeyError(
      `environment variable ${TOKEN_SIGNING_KEY_ENV} (the KMS key ARN) is not set, nor ${LOCAL_KEYS_DIR_ENV} (local mode)`,
    );
  }
  if (cached?.source !== source) {
    const signer = keyId
      ? new KmsTokenSigner(new KMSClient({}), keyId)
      : LocalTokenSigner.fromDirectory(localDirectory ?? '');
    cached = { source, signer };
  }
  return cached.signer;
}
