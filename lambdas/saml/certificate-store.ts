import { X509Certificate } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { memoize, SAML_ENV, type SamlSigner, samlSignerFromEnv } from '@/lambdas/saml/signer';
import { LOCAL_KEYS_DIR_ENV } from '@/lambdas/shared/constants';
import { type Db, dbFromEnv } from '@/lambdas/shared/db';
import { requiredEnv } from '@/lambdas/shared/deps';

/**
 * The SAML signing key's certificates, stored so that the public metadata route can publish
 * them without holding `kms:Sign` (security review 2026-12-01, ADR 0011). A deploy-time
 * custom resource (lambdas/saml/certificate-resource.ts) signs them and writes them here; the
 * metadata route reads them and checks each against `kms:GetPublicKey` and its own
 * self-signature, so that a table writer cannot publish a key AWS would then trust.
 */

/** The one item holding the published certificates (keys.ts: `SAMLCERT` / `SAMLCERT`). */
export const SAML_CERTIFICATES_KEY = { PK: 'SAMLCERT', SK: 'SAMLCERT' } as const;

/** Where the metadata gets its certificates: base64 DER, the signing key's first. */
export type SamlCertificateSource = Pick<SamlSigner, 'certificates'>;

/** No usable certificate is stored (yet): the metadata route answers 503 with this message. */
export class SamlCertificateUnavailableError extends Error {
  readonly code = 'SamlCertificateUnavailableError';

  constructor(message: string) {
    super(message);
    this.name = 'SamlCertificateUnavailableError';
  }
}

/** Stores the certificates the deploy-time resource built (the active key's first). */
export async function storeSamlCertificates(
  db: Db,
  certificates: readonly string[],
  now: Date,
): Promise<void> {
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...SAML_CERTIFICATES_KEY, Certificates: [...certificates], UpdatedAt: now.toISOString() },
    }),
  );
}

/**
 * The stored certificates of the KMS key(s) `keyId` (and `nextKeyId` during a rotation), each
 * verified to carry its key's public half and to be signed by it; read once per container
 * (a failure is retried on the next request).
 */
export class StoredSamlCertificates implements SamlCertificateSource {
  private readonly kms: KMSClient;
  private readonly keyIds: readonly string[];
  private readonly load: () => Promise<readonly string[]>;

  constructor(
    private readonly db: Db,
    options: { keyId: string; nextKeyId?: string; kms?: KMSClient },
  ) {
    this.kms = options.kms ?? new KMSClient({});
    this.keyIds = options.nextKeyId ? [options.keyId, options.nextKeyId] : [options.keyId];
    this.load = memoize(() => this.verifiedCertificates());
  }

  certificates(): Promise<readonly string[]> {
    return this.load();
  }

  private async verifiedCertificates(): Promise<readonly string[]> {
    const { Item } = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tableName, Key: SAML_CERTIFICATES_KEY }),
    );
    const stored: unknown = Item?.Certificates;
    if (!Array.isArray(stored) || stored.length === 0) {
      throw new SamlCertificateUnavailableError(
        'The SAML signing certificate has not been created yet: deploy the Identity stack (its SamlCertificate resource creates it), then fetch the metadata again',
      );
    }
    if (stored.length !== this.keyIds.length) {
      throw mismatch(`${stored.length} certificate(s) are stored for ${this.keyIds.length} signing key(s)`);
    }
    await Promise.all(this.keyIds.map((keyId, index) => this.verify(keyId, String(stored[index]))));
    return stored.map(String);
  }

  private async verify(keyId: string, certificate: string): Promise<void> {
    const { PublicKey } = await this.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (!PublicKey) throw mismatch(`kms:GetPublicKey returned no public key for ${keyId}`);
    let parsed: X509Certificate;
    try {
      parsed = new X509Certificate(Buffer.from(certificate, 'base64'));
    } catch {
      throw mismatch(`the stored certificate of ${keyId} is not an X.509 certificate`);
    }
    const spki = parsed.publicKey.export({ format: 'der', type: 'spki' });
    if (!spki.equals(Buffer.from(PublicKey)) || !parsed.verify(parsed.publicKey)) {
      throw mismatch(`the stored certificate is not the self-signed certificate of ${keyId}`);
    }
  }
}

function mismatch(detail: string): SamlCertificateUnavailableError {
  return new SamlCertificateUnavailableError(
    `The stored SAML signing certificate does not match the signing key (${detail}): redeploy the Identity stack to re-create it`,
  );
}

/**
 * The metadata route's certificates: in local mode (`STAXID_LOCAL_KEYS_DIR`) those of the key
 * file itself (there is no KMS to protect); in AWS the stored ones, verified against the KMS
 * key(s) in `STAXID_SAML_SIGNING_KEY_ID` (and `STAXID_SAML_NEXT_SIGNING_KEY_ID`).
 */
export function samlCertificatesFromEnv(env: NodeJS.ProcessEnv = process.env): SamlCertificateSource {
  if (env[LOCAL_KEYS_DIR_ENV]) return samlSignerFromEnv(env);
  return new StoredSamlCertificates(dbFromEnv(env), {
    keyId: requiredEnv(env, SAML_ENV.keyId),
    nextKeyId: env[SAML_ENV.nextKeyId] || undefined,
  });
}
