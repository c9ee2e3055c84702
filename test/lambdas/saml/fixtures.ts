import { constants, createHash, generateKeyPairSync, type KeyObject, privateEncrypt } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand, type SignCommandInput } from '@aws-sdk/client-kms';
import { SAML } from '@node-saml/node-saml';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { ExclusiveCanonicalization } from 'xml-crypto';
import type { SamlSignInAssertion } from '@/lambdas/saml/response';
import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';

/** Test helpers of the SAML IdP: real RSA keys behind a mocked KMS, and node-saml as the SP. */

export const ENTITY_ID = 'https://api.staxid.example/v1/saml/metadata.xml';
export const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/5a3f0c2e-1111-4222-8333-444455556666';
export const NEXT_KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/7b4e1d3f-1111-4222-8333-444455556666';

export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Generating RSA keys is slow: tests share a few. */
const keys = new Map<string, RsaKeyPair>();

export function rsaKey(name: string): RsaKeyPair {
  let pair = keys.get(name);
  if (!pair) {
    pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys.set(name, pair);
  }
  return pair;
}

/**
 * Makes the mocked KMS answer for `keys` (key id → key pair) as KMS does for RSA_2048
 * SIGN_VERIFY keys: GetPublicKey with the SPKI, Sign (DIGEST or RAW) with a real signature.
 */
export function mockKmsRsaKeys(
  kms: AwsClientStub<KMSClient>,
  keysById: Readonly<Record<string, RsaKeyPair>>,
) {
  kms.on(GetPublicKeyCommand).callsFake((input: { KeyId: string }) => {
    const pair = keysById[input.KeyId];
    if (!pair) throw new Error(`NotFoundException: ${input.KeyId}`);
    return {
      KeyId: input.KeyId,
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'],
      PublicKey: new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' })),
    };
  });
  kms.on(SignCommand).callsFake((input: SignCommandInput) => {
    const pair = keysById[input.KeyId ?? ''];
    if (!pair || !input.Message) throw new Error('NotFoundException');
    if (input.SigningAlgorithm !== 'RSASSA_PKCS1_V1_5_SHA_256') throw new Error('InvalidKeyUsage');
    const digest =
      input.MessageType === 'DIGEST'
        ? Buffer.from(input.Message)
        : createHash('sha256').update(input.Message).digest();
    // PKCS#1 v1.5 over a precomputed digest: sign the DigestInfo with no further hashing.
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]);
    return {
      KeyId: input.KeyId,
      SigningAlgorithm: input.SigningAlgorithm,
      Signature: new Uint8Array(
        privateEncrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo),
      ),
    };
  });
}

export function signInAssertion(overrides: Partial<SamlSignInAssertion> = {}): SamlSignInAssertion {
  return {
    issuer: ENTITY_ID,
    destination: AWS_SAML_SIGNIN_URL,
    roleArn: 'arn:aws:iam::123456789012:role/staxid-developer-role',
    providerArn: 'arn:aws:iam::123456789012:saml-provider/staxid',
    sessionName: 'ada.lovelace@example.com',
    sourceIdentity: 'c0ffee00-1111-4222-8333-444455556666',
    sessionDurationSeconds: 3600,
    principalTags: { Email: 'ada.lovelace@example.com', Team: 'Analytical Engines' },
    now: new Date(),
    ...overrides,
  };
}

/** node-saml as AWS would act: trusts `idpCert`, wants the assertion signed, audience AWS. */
export function serviceProvider(idpCert: string | string[]): SAML {
  return new SAML({
    idpCert,
    idpIssuer: ENTITY_ID,
    issuer: 'urn:amazon:webservices',
    audience: 'urn:amazon:webservices',
    callbackUrl: AWS_SAML_SIGNIN_URL,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: 0,
  });
}

export function validate(sp: SAML, xml: string) {
  return sp.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') });
}

export function parseXml(xml: string): Element {
  const document = new DOMParser().parseFromString(xml, 'text/xml');
  if (!document.documentElement) throw new Error('no document element');
  return document.documentElement;
}

/** xml-crypto's exclusive c14n of an element (as a verifier computes it). */
export function canonicalize(node: Element): string {
  return new ExclusiveCanonicalization().process(
    node as unknown as Parameters<ExclusiveCanonicalization['process']>[0],
    {},
  );
}

export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

export function ownerDocument(node: Element): Document {
  if (!node.ownerDocument) throw new Error('a detached node');
  return node.ownerDocument;
}

export function firstElement(root: Element, namespace: string, localName: string): Element {
  const found = root.getElementsByTagNameNS(namespace, localName)[0];
  if (!found) throw new Error(`no ${localName}`);
  return found;
}
