import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { LOCAL_KEYS_DIR_ENV, TOKEN_HASH_KEY_ENV } from '@/lambdas/shared/constants';
import {
  hmacSecretHasher,
  LOCAL_HASH_KEY_FILE,
  localSecretHasher,
  newSecretKey,
  readOrCreateSecretFile,
  secretMatches,
} from '@/lambdas/shared/secrets';
import { hasherFromEnv, kmsSecretHasher } from '@/lambdas/tokens/secret-hasher';

const HASH_KEY_ARN = 'arn:aws:kms:eu-west-1:222222222222:key/1d6f3b8e-1111-4222-8333-444455556666';
const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'staxid-secrets-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('newSecretKey', () => {
  test('is 32 letters and digits, different every time', () => {
    const secrets = Array.from({ length: 2000 }, () => newSecretKey());
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  test('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newSecretKey()).join(''));
    expect(seen.size).toBe(62);
  });
});

describe('hmacSecretHasher', () => {
  const key = Buffer.alloc(32, 7);

  test('hashes to v1.<HMAC-SHA-256, base64url>, deterministic per key', async () => {
    const hasher = hmacSecretHasher(key);
    const hash = await hasher.hash('s3cret');
    expect(hash).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(await hasher.hash('s3cret')).toBe(hash);
    expect(await hmacSecretHasher(Buffer.alloc(32, 8)).hash('s3cret')).not.toBe(hash);
  });

  test('refuses a short key and an overlong secret', async () => {
    expect(() => hmacSecretHasher(Buffer.alloc(16))).toThrow('an HMAC key must be at least 32 bytes');
    await expect(hmacSecretHasher(key).hash('x'.repeat(257))).rejects.toThrow(
      'a secret to hash must be at most 256 characters',
    );
  });
});

describe('secretMatches', () => {
  const hasher = hmacSecretHasher(Buffer.alloc(32, 7));

  test('matches the right secret only', async () => {
    const stored = await hasher.hash('right');
    await expect(secretMatches(hasher, 'right', stored)).resolves.toBe(true);
    await expect(secretMatches(hasher, 'wrong', stored)).resolves.toBe(false);
    await expect(secretMatches(hasher, 'right', `${stored}x`)).resolves.toBe(false);
    await expect(secretMatches(hasher, 'right', '')).resolves.toBe(false);
  });
});

describe('kmsSecretHasher', () => {
  test('asks KMS for an HMAC_SHA_256 of the secret with the configured key', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array(32).fill(1), KeyId: HASH_KEY_ARN });
    const hash = await kmsSecretHasher(new KMSClient({}), HASH_KEY_ARN).hash('s3cret');
    expect(hash).toBe(`v1.${Buffer.alloc(32, 1).toString('base64url')}`);
    const [call] = kms.commandCalls(GenerateMacCommand);
    expect(call?.args[0].input).toEqual({
      KeyId: HASH_KEY_ARN,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: Buffer.from('s3cret'),
    });
  });

  test('fails when KMS returns no MAC', async () => {
    kms.on(GenerateMacCommand).resolves({});
    await expect(kmsSecretHasher(new KMSClient({}), HASH_KEY_ARN).hash('x')).rejects.toThrow(
      'kms:GenerateMac returned no MAC',
    );
  });
});

describe('localSecretHasher', () => {
  test('keeps its key in a 0600 file, so hashes survive restarts', async () => {
    const keys = join(directory, 'keys');
    const hash = await localSecretHasher(keys).hash('s3cret');
    expect(statSync(join(keys, LOCAL_HASH_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(keys, LOCAL_HASH_KEY_FILE), 'utf8'), 'base64')).toHaveLength(32);
    expect(await localSecretHasher(keys).hash('s3cret')).toBe(hash);
  });
});

describe('readOrCreateSecretFile', () => {
  test('creates once; later calls read what the first wrote', () => {
    const file = join(directory, 'a', 'secret');
    expect(readOrCreateSecretFile(file, () => 'first')).toBe('first');
    expect(readOrCreateSecretFile(file, () => 'second')).toBe('first');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('hasherFromEnv', () => {
  test('uses the KMS key when its ARN is set, else the local key directory', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array(32) });
    await hasherFromEnv({ [TOKEN_HASH_KEY_ENV]: HASH_KEY_ARN, [LOCAL_KEYS_DIR_ENV]: directory }).hash('x');
    expect(kms.commandCalls(GenerateMacCommand)).toHaveLength(1);
    const local = hasherFromEnv({ [LOCAL_KEYS_DIR_ENV]: directory });
    expect(await local.hash('x')).toBe(await localSecretHasher(directory).hash('x'));
    expect(hasherFromEnv({ [LOCAL_KEYS_DIR_ENV]: directory })).toBe(local);
  });

  test('says what to set when neither is', () => {
    expect(() => hasherFromEnv({})).toThrow(
      'environment variable STAXID_TOKEN_HASH_KEY_ID (the KMS HMAC key ARN) is not set, nor STAXID_LOCAL_KEYS_DIR (local mode)',
    );
  });
});
