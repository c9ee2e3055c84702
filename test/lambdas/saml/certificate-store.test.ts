import { constants, createHash, createPublicKey, privateEncrypt, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { selfSignedCertificate } from '@/lambdas/saml/certificate';
import { samlCertificateResourceHandler } from '@/lambdas/saml/certificate-resource';
import {
  SAML_CERTIFICATES_KEY,
  StoredSamlCertificates,
  samlCertificatesFromEnv,
} from '@/lambdas/saml/certificate-store';
import { LocalSamlSigner } from '@/lambdas/saml/signer';
import type { Logger } from '@/lambdas/shared/logger';
import { samlMetadataHandler } from '@/lambdas/signin/saml-metadata';
import { apiEvent, lambdaContext } from '@/test/support/api-event';
import { createTestTable, type TestTable } from '@/test/support/dynamodb';
import { ENTITY_ID, KEY_ARN, mockKmsRsaKeys, NEXT_KEY_ARN, rsaKey } from './fixtures';

const kms = mockClient(KMSClient);
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const NOW = new Date('2026-12-01T10:00:00.000Z');
const SIGN_IN_URL = 'https://console.staxid.example';

let table: TestTable;
let cloudFormation: { server: Server; url: string; responses: Array<Record<string, unknown>> };

beforeAll(async () => {
  table = await createTestTable();
  const responses: Array<Record<string, unknown>> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      responses.push({ method: request.method, ...JSON.parse(body) });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cloudFormation = { server, url: `http://127.0.0.1:${port}/response`, responses };
});
afterAll(async () => {
  await table.drop();
  await new Promise((resolve) => cloudFormation.server.close(resolve));
});
beforeEach(async () => {
  mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active'), [NEXT_KEY_ARN]: rsaKey('next') });
  cloudFormation.responses.length = 0;
  await table.doc.send(
    new PutCommand({ TableName: table.tableName, Item: { ...SAML_CERTIFICATES_KEY, Certificates: [] } }),
  );
});
afterEach(() => kms.reset());

function resourceEvent(
  requestType: CloudFormationCustomResourceEvent['RequestType'],
  properties: Record<string, unknown>,
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:222222222222:function:saml-certificate',
    ResponseURL: cloudFormation.url,
    StackId: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/StaxidIdentity/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SamlCertificate',
    ResourceType: 'Custom::SamlCertificate',
    ResourceProperties: { ServiceToken: 'token', ...properties },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'SAMLCERT' }),
    ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
  } as CloudFormationCustomResourceEvent;
}

const deploy = (requestType: CloudFormationCustomResourceEvent['RequestType'], properties = {}) =>
  samlCertificateResourceHandler(() => ({
    db: table,
    kms: new KMSClient({}),
    clock: { now: () => NOW },
    logger: quiet,
  }))(resourceEvent(requestType, properties));

/** The metadata route as AWS runs it: stored certificates, checked against the key(s). */
async function readMetadata(keys: { keyId: string; nextKeyId?: string }) {
  const metadata = samlMetadataHandler(() => ({
    entityId: ENTITY_ID,
    certificates: new StoredSamlCertificates(table, { ...keys, kms: new KMSClient({}) }),
    signInUrl: SIGN_IN_URL,
  }));
  return metadata(apiEvent({ path: '/saml/metadata.xml' }), lambdaContext);
}

const publishedCertificates = (xml: string) =>
  [...xml.matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)].map((match) => match[1]);

describe('SAML certificates made at deploy time', () => {
  it('are signed by the key at deploy time and published by a metadata route that never signs', async () => {
    await deploy('Create', { KeyId: KEY_ARN });
    expect(cloudFormation.responses).toEqual([
      expect.objectContaining({
        method: 'PUT',
        Status: 'SUCCESS',
        PhysicalResourceId: 'SAMLCERT',
        RequestId: 'request-1',
      }),
    ]);
    const signsAtDeploy = kms.commandCalls(SignCommand).length;
    expect(signsAtDeploy).toBe(1);

    const result = await readMetadata({ keyId: KEY_ARN });

    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Cache-Control']).toBe('public, max-age=300');
    const [certificate, ...others] = publishedCertificates(result.body);
    expect(others).toEqual([]);
    const parsed = new X509Certificate(Buffer.from(certificate ?? '', 'base64'));
    expect(parsed.checkPrivateKey(rsaKey('active').privateKey)).toBe(true);
    expect(parsed.verify(parsed.publicKey)).toBe(true);
    expect(kms.commandCalls(SignCommand)).toHaveLength(signsAtDeploy);
    expect(kms.commandCalls(GetPublicKeyCommand).at(-1)?.args[0].input).toEqual({ KeyId: KEY_ARN });
  });

  it('publish both keys during a rotation, the signing key first', async () => {
    await deploy('Update', { KeyId: KEY_ARN, NextKeyId: NEXT_KEY_ARN });

    const result = await readMetadata({ keyId: KEY_ARN, nextKeyId: NEXT_KEY_ARN });

    expect(result.statusCode).toBe(200);
    const [active, next] = publishedCertificates(result.body).map(
      (encoded) => new X509Certificate(Buffer.from(encoded ?? '', 'base64')),
    );
    expect(active?.checkPrivateKey(rsaKey('active').privateKey)).toBe(true);
    expect(next?.checkPrivateKey(rsaKey('next').privateKey)).toBe(true);
  });

  it('answer 503 with what to do, and nothing cacheable, before the certificate exists', async () => {
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { ...SAML_CERTIFICATES_KEY, Note: 'none yet' } }),
    );

    const result = await readMetadata({ keyId: KEY_ARN });

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Cache-Control']).toBe('no-store');
    expect(JSON.parse(result.body).Error).toMatch(/has not been created yet: deploy the Identity stack/);
  });

  it('answer 503 when the stored certificate is of another key than the configured one', async () => {
    await deploy('Update', { KeyId: NEXT_KEY_ARN });

    const result = await readMetadata({ keyId: KEY_ARN });

    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).Error).toMatch(/does not match the signing key.*redeploy/);
  });

  it('refuse a certificate of the right public key that the key did not sign (a table writer cannot forge one)', async () => {
    const spki = new Uint8Array(
      createPublicKey(rsaKey('active').privateKey).export({ format: 'der', type: 'spki' }),
    );
    const forged = await selfSignedCertificate(spki, KEY_ARN, async (tbs) => {
      const digest = createHash('sha256').update(tbs).digest();
      const digestInfo = Buffer.concat([
        Buffer.from('3031300d060960864801650304020105000420', 'hex'),
        digest,
      ]);
      return new Uint8Array(
        privateEncrypt(
          { key: rsaKey('forger').privateKey, padding: constants.RSA_PKCS1_PADDING },
          digestInfo,
        ),
      );
    });
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...SAML_CERTIFICATES_KEY, Certificates: [Buffer.from(forged).toString('base64')] },
      }),
    );

    const result = await readMetadata({ keyId: KEY_ARN });

    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).Error).toMatch(/not the self-signed certificate of/);
  });

  it('fail the deployment, naming the property, when the key is missing; and store nothing', async () => {
    await deploy('Create', {});

    expect(cloudFormation.responses).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: 'KeyId: the SAML signing key ARN is required' }),
    ]);
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: SAML_CERTIFICATES_KEY }),
    );
    expect(Item?.Certificates).toEqual([]);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it('leave the certificates in place on Delete, and answer CloudFormation', async () => {
    await deploy('Create', { KeyId: KEY_ARN });
    await deploy('Delete', { KeyId: KEY_ARN });

    expect(cloudFormation.responses.map((response) => response.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect((await readMetadata({ keyId: KEY_ARN })).statusCode).toBe(200);
  });
});

describe('samlCertificatesFromEnv', () => {
  it('uses the key file itself in local mode, so npm start publishes metadata before any sign-in', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'staxid-saml-store-'));
    try {
      const source = samlCertificatesFromEnv({ STAXID_LOCAL_KEYS_DIR: keysDir });

      expect(source).toBeInstanceOf(LocalSamlSigner);
      expect(await source.certificates()).toHaveLength(1);
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  });

  it('reads the stored certificates in AWS, and names the missing key variable', () => {
    const env = { STAXID_TABLE_NAME: 'staxid', AWS_REGION: 'eu-west-1' };

    expect(samlCertificatesFromEnv({ ...env, STAXID_SAML_SIGNING_KEY_ID: KEY_ARN })).toBeInstanceOf(
      StoredSamlCertificates,
    );
    expect(() => samlCertificatesFromEnv(env)).toThrow('STAXID_SAML_SIGNING_KEY_ID');
  });
});
