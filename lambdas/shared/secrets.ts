import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Secrets staxid hands out (API token SecretKeys): generated from a CSPRNG, shown once,
 * stored only as a keyed hash (HMAC-SHA-256) and compared in constant time.
 *
 * The HMAC key ("pepper") is a KMS HMAC_256 key in AWS (lambdas/tokens/secret-hasher.ts):
 * it never leaves KMS, so a copy of the table alone cannot be used to test guesses offline.
 * Locally it is a random key in `$STAXID_HOME/keys/`. This module imports no AWS SDK client,
 * so functions that never hash do not carry one.
 */

/** 62 letters and digits: nothing a client must escape in a Basic header or a form body. */
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Length of an API token's SecretKey (the spec's `minLength`/`maxLength`): 32 × log2(62) ≈ 190 bits. */
export const SECRET_KEY_LENGTH = 32;

/** A random secret of `length` characters from the alphabet above, without modulo bias. */
export function newSecretKey(length = SECRET_KEY_LENGTH): string {
  // Bytes at or above the largest multiple of 62 are discarded (rejection sampling).
  const limit = 256 - (256 % SECRET_ALPHABET.length);
  let secret = '';
  while (secret.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && secret.length < length) secret += SECRET_ALPHABET[byte % SECRET_ALPHABET.length];
    }
  }
  return secret;
}

/** The version prefix of stored hashes; a new HMAC key would get a new one. */
export const HASH_VERSION = 'v1';

/** Longest secret that is hashed at all; longer ones cannot be genuine and are refused first. */
export const MAX_HASHED_SECRET_LENGTH = 256;

export interface SecretHasher {
  /** The keyed hash of a secret, as stored: `v1.<base64url MAC>`. */
  hash(secret: string): Promise<string>;
}

/** Whether `secret` hashes to `storedHash`; the comparison takes the same time wherever they differ. */
export async function secretMatches(
  hasher: SecretHasher,
  secret: string,
  storedHash: string,
): Promise<boolean> {
  const actual = Buffer.from(await hasher.hash(secret), 'utf8');
  const expected = Buffer.from(storedHash, 'utf8');
  if (actual.length !== expected.length) {
    // Genuine hashes all have one length; still spend a comparison's time.
    timingSafeEqual(actual, actual);
    return false;
  }
  return timingSafeEqual(actual, expected);
}

/** The secret's bytes, refused when it is longer than any genuine secret. */
export function checkedSecret(secret: string): Buffer {
  if (secret.length > MAX_HASHED_SECRET_LENGTH) {
    throw new RangeError(`a secret to hash must be at most ${MAX_HASHED_SECRET_LENGTH} characters`);
  }
  return Buffer.from(secret, 'utf8');
}

/** HMAC-SHA-256 with a key held in memory (local mode, tests). */
export function hmacSecretHasher(key: Uint8Array): SecretHasher {
  if (key.length < 32) throw new RangeError('an HMAC key must be at least 32 bytes');
  const copy = Buffer.from(key);
  return {
    hash: async (secret) =>
      `${HASH_VERSION}.${createHmac('sha256', copy).update(checkedSecret(secret)).digest('base64url')}`,
  };
}

/** The file, under the local keys directory, that holds local mode's HMAC key. */
export const LOCAL_HASH_KEY_FILE = 'token-hash-key';

/** Local mode's HMAC key: 32 random bytes in `<dir>/token-hash-key` (mode 0600), created on first use. */
export function localSecretHasher(directory: string): SecretHasher {
  const encoded = readOrCreateSecretFile(join(directory, LOCAL_HASH_KEY_FILE), () =>
    randomBytes(32).toString('base64'),
  );
  return hmacSecretHasher(Buffer.from(encoded.trim(), 'base64'));
}

/**
 * Reads a secret file, creating it first (mode 0600, in a 0700 directory) when it does not
 * exist. Creation is atomic: two processes starting at once end up with the same content.
 */
export function readOrCreateSecretFile(file: string, create: () => string): string {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, create(), { mode: 0o600, flag: 'wx' });
  try {
    // link() fails when the name exists: the first writer wins, the others read its file.
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return readFileSync(file, 'utf8');
}
