import { KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { idpMetadataXml } from '@/lambdas/saml/metadata';
import { buildSignedSamlResponse } from '@/lambdas/saml/response';
import { KmsSamlSigner } from '@/lambdas/saml/signer';
import {
  canonicalize,
  DSIG,
  ENTITY_ID,
  firstElement,
  KEY_ARN,
  mockKmsRsaKeys,
  NEXT_KEY_ARN,
  parseXml,
  rsaKey,
  serviceProvider,
  signInAssertion,
  validate,
} from '@/test/lambdas/saml/fixtures';

const METADATA = 'urn:oasis:names:tc:SAML:2.0:metadata';
const SIGN_IN_URL = 'https://api.staxid.example/v1/saml/sign-in';

const kms = mockClient(KMSClient);
beforeEach(() => mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active'), [NEXT_KEY_ARN]: rsaKey('next') }));
afterEach(() => kms.reset());

describe('idpMetadataXml', () => {
  test('lists both certificates during a rotation; an SP trusting them accepts either key', async () => {
    const certificates = await new KmsSamlSigner({ keyId: KEY_ARN, nextKeyId: NEXT_KEY_ARN }).certificates();
    const xml = idpMetadataXml({ entityId: ENTITY_ID, certificates, signInUrl: SIGN_IN_URL });
    const root = parseXml(xml);
    const published = Array.from(
      root.getElementsByTagNameNS(DSIG, 'X509Certificate'),
      (node) => node.textContent ?? '',
    );
    const descriptors = Array.from(root.getElementsByTagNameNS(METADATA, 'KeyDescriptor'));

    expect(canonicalize(root)).toBe(xml);
    expect(root.getAttribute('entityID')).toBe(ENTITY_ID);
    expect(published).toEqual(certificates);
    expect(descriptors.map((descriptor) => descriptor.getAttribute('use'))).toEqual(['signing', 'signing']);
    expect(firstElement(root, METADATA, 'IDPSSODescriptor').getAttribute('protocolSupportEnumeration')).toBe(
      'urn:oasis:names:tc:SAML:2.0:protocol',
    );
    expect(firstElement(root, METADATA, 'SingleSignOnService').getAttribute('Location')).toBe(SIGN_IN_URL);
    expect(xml.length).toBeGreaterThanOrEqual(1000); // IAM's minimum metadata length

    const sp = serviceProvider(published);
    for (const keyId of [KEY_ARN, NEXT_KEY_ARN]) {
      const response = await buildSignedSamlResponse(signInAssertion(), new KmsSamlSigner({ keyId }));
      await expect(validate(sp, response)).resolves.toMatchObject({ profile: { issuer: ENTITY_ID } });
    }
  });

  test.each([
    ['no certificate', [], 'IdP metadata needs at least one certificate'],
    ['a PEM certificate', ['-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----'], 'base64 DER'],
  ])('refuses %s', (_, certificates, message) => {
    expect(() => idpMetadataXml({ entityId: ENTITY_ID, certificates, signInUrl: SIGN_IN_URL })).toThrow(
      message,
    );
  });
});
