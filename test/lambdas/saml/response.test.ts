import { createHash, verify } from 'node:crypto';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { XMLSerializer } from '@xmldom/xmldom';
import { mockClient } from 'aws-sdk-client-mock';
import { idpMetadataXml } from '@/lambdas/saml/metadata';
import {
  AWS_SAML_ATTRIBUTES,
  buildSignedSamlResponse,
  SamlAssertionError,
  type SamlSignInAssertion,
} from '@/lambdas/saml/response';
import { KmsSamlSigner } from '@/lambdas/saml/signer';
import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';
import {
  canonicalize,
  DSIG,
  ENTITY_ID,
  firstElement,
  KEY_ARN,
  mockKmsRsaKeys,
  NEXT_KEY_ARN,
  ownerDocument,
  parseXml,
  rsaKey,
  SAML_ASSERTION,
  serviceProvider,
  signInAssertion,
  validate,
} from '@/test/lambdas/saml/fixtures';

const kms = mockClient(KMSClient);
beforeEach(() => mockKmsRsaKeys(kms, { [KEY_ARN]: rsaKey('active'), [NEXT_KEY_ARN]: rsaKey('next') }));
afterEach(() => kms.reset());

const signer = () => new KmsSamlSigner({ keyId: KEY_ARN, kms: new KMSClient({}) });

/** The SP trusts the certificates of the IdP metadata, as IAM does. */
async function trustedServiceProvider() {
  const metadata = parseXml(
    idpMetadataXml({
      entityId: ENTITY_ID,
      certificates: await signer().certificates(),
      signInUrl: 'https://x',
    }),
  );
  const certificates = Array.from(
    metadata.getElementsByTagNameNS(DSIG, 'X509Certificate'),
    (node) => node.textContent ?? '',
  );
  return serviceProvider(certificates);
}

const serialize = (node: unknown) =>
  new XMLSerializer().serializeToString(node as Parameters<XMLSerializer['serializeToString']>[0]);

describe('buildSignedSamlResponse', () => {
  test('node-saml, acting as AWS, accepts the response and reads every AWS attribute', async () => {
    const input = signInAssertion();
    const xml = await buildSignedSamlResponse(input, signer());

    const { profile } = await validate(await trustedServiceProvider(), xml);

    expect(profile?.issuer).toBe(ENTITY_ID);
    expect(profile?.nameID).toBe(input.sourceIdentity);
    expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile?.attributes).toEqual({
      [AWS_SAML_ATTRIBUTES.role]: `${input.roleArn},${input.providerArn}`,
      [AWS_SAML_ATTRIBUTES.roleSessionName]: input.sessionName,
      [AWS_SAML_ATTRIBUTES.sourceIdentity]: input.sourceIdentity,
      [AWS_SAML_ATTRIBUTES.sessionDuration]: '3600',
      [`${AWS_SAML_ATTRIBUTES.principalTagPrefix}Email`]: 'ada.lovelace@example.com',
      [`${AWS_SAML_ATTRIBUTES.principalTagPrefix}Team`]: 'Analytical Engines',
    });
  });

  test('follows the SAML schema and what AWS requires of the envelope', async () => {
    const now = new Date('2026-11-30T12:00:00.789Z');
    const root = parseXml(await buildSignedSamlResponse(signInAssertion({ now }), signer()));
    const assertion = firstElement(root, SAML_ASSERTION, 'Assertion');
    const confirmation = firstElement(root, SAML_ASSERTION, 'SubjectConfirmationData');
    const conditions = firstElement(root, SAML_ASSERTION, 'Conditions');

    expect(root.getAttribute('Destination')).toBe(AWS_SAML_SIGNIN_URL);
    expect(root.getAttribute('ID')).toMatch(/^_[0-9a-f]{40}$/);
    expect(assertion.getAttribute('ID')).toMatch(/^_[0-9a-f]{40}$/);
    expect(assertion.getAttribute('ID')).not.toBe(root.getAttribute('ID'));
    expect(
      firstElement(root, 'urn:oasis:names:tc:SAML:2.0:protocol', 'StatusCode').getAttribute('Value'),
    ).toBe('urn:oasis:names:tc:SAML:2.0:status:Success');
    // Schema order inside the assertion: Issuer, Signature, Subject, Conditions, statements.
    expect(Array.from(assertion.childNodes, (node) => node.nodeName)).toEqual([
      'saml:Issuer',
      'ds:Signature',
      'saml:Subject',
      'saml:Conditions',
      'saml:AuthnStatement',
      'saml:AttributeStatement',
    ]);
    expect(firstElement(root, DSIG, 'Reference').getAttribute('URI')).toBe(
      `#${assertion.getAttribute('ID')}`,
    );
    expect(firstElement(root, SAML_ASSERTION, 'SubjectConfirmation').getAttribute('Method')).toBe(
      'urn:oasis:names:tc:SAML:2.0:cm:bearer',
    );
    expect(confirmation.getAttribute('Recipient')).toBe(AWS_SAML_SIGNIN_URL);
    expect(confirmation.getAttribute('NotOnOrAfter')).toBe('2026-11-30T12:05:00Z');
    expect(conditions.getAttribute('NotBefore')).toBe('2026-11-30T11:59:30Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2026-11-30T12:05:00Z');
    expect(firstElement(root, SAML_ASSERTION, 'Audience').textContent).toBe('urn:amazon:webservices');
    expect(firstElement(root, SAML_ASSERTION, 'AuthnStatement').getAttribute('SessionNotOnOrAfter')).toBe(
      '2026-11-30T13:00:00Z',
    );
  });

  test('the digest is over the emitted assertion and the signature over the emitted SignedInfo', async () => {
    const xml = await buildSignedSamlResponse(signInAssertion(), signer());
    const root = parseXml(xml);
    const assertion = firstElement(root, SAML_ASSERTION, 'Assertion');
    const signature = firstElement(assertion, DSIG, 'Signature');
    const signedInfo = canonicalize(firstElement(signature, DSIG, 'SignedInfo'));
    const digestValue = firstElement(signature, DSIG, 'DigestValue').textContent;
    const signatureValue = Buffer.from(
      firstElement(signature, DSIG, 'SignatureValue').textContent ?? '',
      'base64',
    );
    expect(canonicalize(root)).toBe(xml);
    assertion.removeChild(signature);

    expect(createHash('sha256').update(canonicalize(assertion)).digest('base64')).toBe(digestValue);
    expect(verify('sha256', Buffer.from(signedInfo), rsaKey('active').publicKey, signatureValue)).toBe(true);
  });

  test('KMS signs a SHA-256 digest with RSASSA_PKCS1_V1_5_SHA_256', async () => {
    await buildSignedSamlResponse(signInAssertion(), signer());
    const signCalls = kms.commandCalls(SignCommand);
    const last = signCalls.at(-1)?.args[0].input;
    expect(last).toMatchObject({
      KeyId: KEY_ARN,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
    expect(last?.Message).toHaveLength(32);
  });

  describe('node-saml rejects', () => {
    test('a tampered attribute value', async () => {
      const xml = await buildSignedSamlResponse(signInAssertion(), signer());
      const tampered = xml.replace('staxid-developer-role', 'staxid-admin-role');
      expect(tampered).not.toBe(xml);
      await expect(validate(await trustedServiceProvider(), tampered)).rejects.toThrow(/signature/i);
    });

    test('an expired response (validated after NotOnOrAfter)', async () => {
      const sixMinutesAgo = new Date(Date.now() - 6 * 60 * 1000);
      const xml = await buildSignedSamlResponse(signInAssertion({ now: sixMinutesAgo }), signer());
      await expect(validate(await trustedServiceProvider(), xml)).rejects.toThrow('SAML assertion expired');
    });

    test('a response signed by a key the metadata does not list', async () => {
      const other = new KmsSamlSigner({ keyId: NEXT_KEY_ARN, kms: new KMSClient({}) });
      const xml = await buildSignedSamlResponse(signInAssertion(), other);
      await expect(validate(await trustedServiceProvider(), xml)).rejects.toThrow(/signature/i);
    });

    describe('signature wrapping', () => {
      /** The signed response and a forged copy of its assertion with the admin role. */
      async function signedAndForged() {
        const xml = await buildSignedSamlResponse(signInAssertion(), signer());
        const root = parseXml(xml);
        const original = firstElement(root, SAML_ASSERTION, 'Assertion');
        const forged = original.cloneNode(true) as typeof original;
        const role = Array.from(forged.getElementsByTagNameNS(SAML_ASSERTION, 'AttributeValue')).find(
          (node) => node.textContent?.includes(':role/'),
        );
        if (!role?.firstChild) throw new Error('no role attribute');
        role.replaceChild(
          ownerDocument(root).createTextNode(
            'arn:aws:iam::123456789012:role/staxid-admin-role,arn:aws:iam::123456789012:saml-provider/staxid',
          ),
          role.firstChild,
        );
        return { root, original, forged };
      }

      test('the signed assertion moved into Extensions, a forged unsigned one in its place', async () => {
        const { root, original, forged } = await signedAndForged();
        forged.removeChild(firstElement(forged, DSIG, 'Signature'));
        const extensions = ownerDocument(root).createElementNS(
          'urn:oasis:names:tc:SAML:2.0:protocol',
          'samlp:Extensions',
        );
        root.replaceChild(forged, original);
        extensions.appendChild(original);
        root.insertBefore(extensions, firstElement(root, 'urn:oasis:names:tc:SAML:2.0:protocol', 'Status'));
        await expect(validate(await trustedServiceProvider(), serialize(root))).rejects.toThrow(
          'Invalid signature',
        );
      });

      test('the signed assertion inside the forged one’s ds:Object, the forged one keeping the signature', async () => {
        const { root, original, forged } = await signedAndForged();
        forged.setAttribute('ID', '_forged');
        const object = ownerDocument(root).createElementNS(DSIG, 'ds:Object');
        root.replaceChild(forged, original);
        object.appendChild(original);
        firstElement(forged, DSIG, 'Signature').appendChild(object);
        await expect(validate(await trustedServiceProvider(), serialize(root))).rejects.toThrow(
          'Invalid signature',
        );
      });

      test('the signed assertion moved ahead into Extensions, the forged one keeping its ID and signature', async () => {
        const { root, original, forged } = await signedAndForged();
        const extensions = ownerDocument(root).createElementNS(
          'urn:oasis:names:tc:SAML:2.0:protocol',
          'samlp:Extensions',
        );
        root.replaceChild(forged, original);
        extensions.appendChild(original);
        root.insertBefore(extensions, firstElement(root, 'urn:oasis:names:tc:SAML:2.0:protocol', 'Status'));
        await expect(validate(await trustedServiceProvider(), serialize(root))).rejects.toThrow(
          'ID cannot refer to more than one element',
        );
      });

      test('a duplicated assertion with the same ID', async () => {
        const { root, original, forged } = await signedAndForged();
        root.insertBefore(forged, original);
        await expect(validate(await trustedServiceProvider(), serialize(root))).rejects.toThrow(
          'Invalid signature: multiple assertions',
        );
        root.removeChild(forged);
        root.appendChild(forged);
        await expect(validate(await trustedServiceProvider(), serialize(root))).rejects.toThrow(
          'Invalid signature: multiple assertions',
        );
      });
    });
  });

  describe('refuses input AWS would refuse, naming the field, before signing', () => {
    const tooManyTags = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`Tag${index}`, 'x']));
    test.each<[string, Partial<SamlSignInAssertion>, string]>([
      ['issuer: not a URI', { issuer: 'staxid' }, 'issuer'],
      ['destination: not http(s)', { destination: 'ftp://signin.aws.amazon.com/saml' }, 'destination'],
      ['roleArn: not a role', { roleArn: 'arn:aws:iam::123456789012:user/ada' }, 'roleArn'],
      [
        'providerArn: not a SAML provider',
        { providerArn: 'arn:aws:iam::123456789012:oidc-provider/x' },
        'providerArn',
      ],
      [
        'providerArn: another account',
        { providerArn: 'arn:aws:iam::210987654321:saml-provider/staxid' },
        'providerArn',
      ],
      [
        'providerArn: another partition',
        { providerArn: 'arn:aws-cn:iam::123456789012:saml-provider/staxid' },
        'providerArn',
      ],
      ['sessionName: a quote', { sessionName: "o'brien@example.com" }, 'sessionName'],
      ['sessionName: too long', { sessionName: `${'a'.repeat(60)}@b.co` }, 'sessionName'],
      ['sourceIdentity: too short', { sourceIdentity: 'a' }, 'sourceIdentity'],
      ['duration: too short', { sessionDurationSeconds: 899 }, 'sessionDurationSeconds'],
      ['duration: too long', { sessionDurationSeconds: 43_201 }, 'sessionDurationSeconds'],
      ['duration: fractional', { sessionDurationSeconds: 1000.5 }, 'sessionDurationSeconds'],
      ['tags: more than 50', { principalTags: tooManyTags }, 'principalTags'],
      ['tag key: empty', { principalTags: { '': 'x' } }, 'principalTags.'],
      ['tag key: aws: prefix', { principalTags: { 'aws:Team': 'x' } }, 'principalTags.aws:Team'],
      ['tag key: case duplicate', { principalTags: { Team: 'a', team: 'b' } }, 'principalTags.team'],
      [
        'tag key: too long',
        { principalTags: { ['k'.repeat(129)]: 'x' } },
        `principalTags.${'k'.repeat(129)}`,
      ],
      ['tag value: markup', { principalTags: { Team: '<b>&' } }, 'principalTags.Team'],
      ['tag value: too long', { principalTags: { Team: 'v'.repeat(257) } }, 'principalTags.Team'],
      ['now: invalid', { now: new Date(Number.NaN) }, 'now'],
    ])('%s', async (_, override, field) => {
      const error = await buildSignedSamlResponse(signInAssertion(override), signer()).catch(
        (caught) => caught,
      );
      expect(error).toBeInstanceOf(SamlAssertionError);
      expect(error).toMatchObject({ field, status: 400, code: 'ValidationError' });
      expect(kms.calls()).toHaveLength(0);
    });
  });
});
