import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { LOCAL_KEYS_DIR_ENV, TOKEN_HASH_KEY_ENV } from '@/lambdas/shared/constants';
import { checkedSecret, HASH_VERSION, localSecretHasher, type SecretHasher } from '@/lambdas/shared/secrets';

/**
 * The keyed hash of API token secrets in AWS: a KMS HMAC_256 key (`kms:GenerateMac`), whose
 * key material never leaves KMS. Kept apart from lambdas/shared/secrets.ts so that only the
 * functions that hash (CreateApiToken, the token endpoint) bundle the KMS client.
 */

/** HMAC-SHA-256 by a KMS HMAC_256 key (`kms:GenerateMac`); `keyId` is its ARN. */
export function kmsSecretHasher(kms: KMSClient, keyId: string): SecretHasher {
  return {
    hash: async (secret) => {
      const { Mac } = await kms.send(
        new GenerateMacCommand({
          KeyId: keyId,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: checkedSecret(secret),
        }),
      );
      if (!Mac) throw new Error('kms:GenerateMac returned no MAC');
      return `${HASH_VERSION}.${Buffer.from(Mac).toString('base64url')}`;
    },
  };
}

let cached: { readonly source: string; readonly hasher: SecretHasher } | undefined;

/**
 * The hasher this function is configured with: the KMS HMAC key in
 * `STAXID_TOKEN_HASH_KEY_ID`, else (local mode) the key file under `STAXID_LOCAL_KEYS_DIR`.
 */
export function hasherFromEnv(env: NodeJS.ProcessEnv = process.env): SecretHasher {
  const keyId = env[TOKEN_HASH_KEY_ENV];
  const localDirectory = env[LOCAL_KEYS_DIR_ENV];
  const source = keyId ? `kms:${keyId}` : localDirectory ? `local:${localDirectory}` : undefined;
  if (source === undefined) {
    throw new Error(
      `environment variable ${TOKEN_HASH_KEY_ENV} (the KMS HMAC key ARN) is not set, nor ${LOCAL_KEYS_DIR_ENV} (local mode)`,
    );
  }
  if (cached?.source !== source) {
    const hasher = keyId
      ? kmsSecretHasher(new KMSClient({}), keyId)
      : localSecretHasher(localDirectory ?? '');
    cached = { source, hasher };
  }
  return cached.hasher;
}
