import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { selfSignedCertificate } from '@/lambdas/saml/certificate';
import { LOCAL_KEYS_DIR_ENV } from '@/lambdas/shared/constants';
import { readOrCreateSecretFile } from '@/lambdas/shared/secrets';
import { SigningKeyError } from '@/lambdas/shared/signing';

/**
 * The port through which staxid signs SAML assertions: RSASSA-PKCS1-v1_5 with SHA-256 (the
 * XML-DSig `rsa-sha256` method) with a KMS RSA key in AWS, or a PEM key under
 * `$STAXID_HOME/keys/` locally. Each key is published as a self-signed certificate in the IdP
 * metadata; during a rotation two are published (docs/decisions/0011). In AWS the certificates
 * are built at deploy time and stored (certificate-store.ts): the metadata route never signs.
 */

/** Signs with the SAML key: RSASSA-PKCS1-v1_5 with SHA-256 over `data` (the canonical SignedInfo). */
export interface SamlSigner {
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Base64 DER X.509 certificates of the signing key(s), the one `sign` uses first (a second during rotation). */
  certificates(): Promise<readonly string[]>;
}

/** Environment variables of the functions that sign SAML assertions (set by the Identity stack). */
export const SAML_ENV = {
  keyId: 'STAXID_SAML_SIGNING_KEY_ID',
  nextKeyId: 'STAXID_SAML_NEXT_SIGNING_KEY_ID',
} as const;

/** KMS key spec and algorithm of a SAML signing key. */
const KMS_KEY_SPEC = 'RSA_2048';
const KMS_SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

/** Caches a promise, forgetting it when it fails so that the next call tries again. */
export function memoize<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    if (!cached) {
      const loading = load();
      loading.catch(() => {
        if (cached === loading) cached = undefined;
      });
      cached = loading;
    }
    return cached;
  };
}

/**
 * KMS RSA_2048 SIGN_VERIFY keys as the SAML signer: `keyId` signs, `nextKeyId` (during a
 * rotation) is published too. Each certificate is built once per container: `GetPublicKey`,
 * then one `Sign` of the TBSCertificate by the key itself. Signatures use `MessageType: DIGEST`
 * with the SHA-256 computed here, so no message size limit applies.
 */
export class KmsSamlSigner implements SamlSigner {
  private readonly kms: KMSClient;
  private readonly keyId: string;
  private readonly loadCertificates: () => Promise<readonly string[]>;

  constructor(options: { keyId: string; nextKeyId?: string; kms?: KMSClient }) {
    this.kms = options.kms ?? new KMSClient({});
    this.keyId = options.keyId;
    const keyIds = options.nextKeyId ? [options.keyId, options.nextKeyId] : [options.keyId];
    this.loadCertificates = memoize(() => Promise.all(keyIds.map((keyId) => this.certificateOf(keyId))));
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    return this.signWith(this.keyId, data);
  }

  certificates(): Promise<readonly string[]> {
    return this.loadCertificates();
  }

  private async signWith(keyId: string, data: Uint8Array): Promise<Uint8Array> {
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: createHash('sha256').update(data).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: KMS_SIGNING_ALGORITHM,
      }),
    );
    if (!Signature) throw new SigningKeyError('kms:Sign returned no signature');
    return Signature;
  }

  private async certificateOf(keyId: string): Promise<string> {
    const response = await this.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (
      response.KeySpec !== KMS_KEY_SPEC ||
      response.KeyUsage !== 'SIGN_VERIFY' ||
      !response.SigningAlgorithms?.includes(KMS_SIGNING_ALGORITHM) ||
      !response.PublicKey
    ) {
      throw new SigningKeyError(
        `the SAML signing key ${keyId} must be an ${KMS_KEY_SPEC} SIGN_VERIFY key (got ${response.KeySpec ?? 'no key spec'} ${response.KeyUsage ?? 'no key usage'})`,
      );
    }
    const der = await selfSignedCertificate(response.PublicKey, keyId, (tbs) => this.signWith(keyId, tbs));
    return Buffer.from(der).toString('base64');
  }
}

/** The file, under the local keys directory, that holds local mode's SAML key (PKCS#8 PEM). */
export const LOCAL_SAML_KEY_FILE = 'saml-signing-key.pem';

/**
 * Local mode's stand-in for the KMS key: an RSA-2048 key in `<dir>/saml-signing-key.pem`,
 * created (mode 0600) on first use and reused afterwards, so the metadata a local SAML
 * provider trusts survives restarts. Its certificate's serial derives from the public key.
 */
export class LocalSamlSigner implements SamlSigner {
  private privateKey: KeyObject | undefined;
  private readonly loadCertificates = memoize(async () => [await this.certificate()]);

  constructor(private readonly directory: string) {}

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', data, this.key()));
  }

  certificates(): Promise<readonly string[]> {
    return this.loadCertificates();
  }

  private key(): KeyObject {
    if (!this.privateKey) {
      const pem = readOrCreateSecretFile(join(this.directory, LOCAL_SAML_KEY_FILE), () =>
        generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      );
      this.privateKey = createPrivateKey(pem);
    }
    return this.privateKey;
  }

  private async certificate(): Promise<string> {
    const spki = createPublicKey(this.key()).export({ format: 'der', type: 'spki' });
    const seed = createHash('sha256').update(spki).digest('hex');
    const der = await selfSignedCertificate(spki, seed, (tbs) => this.sign(tbs));
    return Buffer.from(der).toString('base64');
  }
}

let cached: { readonly source: string; readonly signer: SamlSigner } | undefined;

/**
 * The SAML signer this function is configured with: in local mode (`STAXID_LOCAL_KEYS_DIR`)
 * the key file there, else the KMS key(s) in `STAXID_SAML_SIGNING_KEY_ID` (and
 * `STAXID_SAML_NEXT_SIGNING_KEY_ID`). Built once per container and configuration, so the
 * certificates are built once.
 */
export function samlSignerFromEnv(env: NodeJS.ProcessEnv = process.env): SamlSigner {
  const localDirectory = env[LOCAL_KEYS_DIR_ENV];
  const keyId = env[SAML_ENV.keyId];
  const nextKeyId = env[SAML_ENV.nextKeyId] || undefined;
  const source = localDirectory
    ? `local:${localDirectory}`
    : keyId
      ? `kms:${keyId}:${nextKeyId ?? ''}`
      : undefined;
  if (source === undefined) {
    throw new SigningKeyError(
      `environment variable ${SAML_ENV.keyId} (the KMS key ARN) is not set, nor ${LOCAL_KEYS_DIR_ENV} (local mode)`,
    );
  }
  if (cached?.source !== source) {
    const signer = localDirectory
      ? new LocalSamlSigner(localDirectory)
      : new KmsSamlSigner({ keyId: keyId ?? '', nextKeyId });
    cached = { source, signer };
  }
  return cached.signer;
}
