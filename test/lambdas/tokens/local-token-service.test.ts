import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_ENV } from '@/lambdas/shared/audit';
import { LOCAL_KEYS_DIR_ENV, TOKEN_HASH_KEY_ENV, TOKEN_SIGNING_KEY_ENV } from '@/lambdas/shared/constants';
import { LOCAL_AUDIT_DIR_ENV, localTokenService } from '@/lambdas/tokens/local-token-service';
import { apiEvent } from '@/test/support/api-event';

describe('localTokenService', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'staxid-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const create = () =>
    localTokenService({
      home,
      tableName: 'staxid',
      region: 'us-east-1',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      log: () => {},
    });

  test('points the handlers at the local keys and audit directory, never at KMS keys', () => {
    const service = create();
    try {
      expect(LOCAL_AUDIT_DIR_ENV).toBe(AUDIT_ENV.directory);
      expect(service.environment).toEqual({
        [LOCAL_KEYS_DIR_ENV]: join(home, 'keys'),
        [AUDIT_ENV.directory]: join(home, 'audit'),
        [TOKEN_SIGNING_KEY_ENV]: undefined,
        [TOKEN_HASH_KEY_ENV]: undefined,
      });
      expect(service.issuerEnvironment('http://127.0.0.1:3000')).toEqual({
        STAXID_TOKEN_ISSUER: 'http://127.0.0.1:3000',
      });
    } finally {
      service.close();
    }
  });

  test('refuses every bearer token before it knows its own issuer', async () => {
    const lines: string[] = [];
    const service = localTokenService({
      home,
      tableName: 'staxid',
      region: 'us-east-1',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      log: (line) => lines.push(line),
    });
    try {
      const event = apiEvent({
        headers: { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln' },
      });
      await expect(service.authorize(event)).resolves.toEqual({ effect: 'unauthorized' });
      expect(lines).toEqual(['bearer token rejected: untrusted_issuer (token issuer is not trusted)']);
    } finally {
      service.close();
    }
  });
});
