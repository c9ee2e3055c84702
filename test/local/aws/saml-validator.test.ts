import { type AwsSamlValidationOptions, validateAwsSamlResponse } from '@/local/aws/saml-validator';
import {
  ADMIN_ROLE,
  type AssertionInput,
  assertionXml,
  base64,
  ISSUER,
  MEMBER_ACCOUNT,
  makeTestKey,
  metadataXml,
  OTHER_ACCOUNT,
  PROVIDER,
  responseXml,
  signElement,
  signedResponseXml,
  type TestKey,
} from '@/test/local/aws/saml-fixtures';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const RECIPIENT = 'http://127.0.0.1:4000/saml';

let idpKey: TestKey;
let rotatedKey: TestKey;
let attackerKey: TestKey;

beforeAll(() => {
  idpKey = makeTestKey('staxid test idp');
  rotatedKey = makeTestKey('staxid test idp next');
  attackerKey = makeTestKey('attacker');
});

function options(overrides: Partial<AwsSamlValidationOptions> = {}): AwsSamlValidationOptions {
  const metadata = metadataXml([idpKey]);
  return {
    providers: (accountId) => ([MEMBER_ACCOUNT, OTHER_ACCOUNT].includes(accountId) ? metadata : undefined),
    roles: (roleArn) =>
      roleArn.endsWith(':role/staxid-admin-role') ? { maxSessionDuration: 3600 } : undefined,
    now: NOW,
    expectedRecipient: RECIPIENT,
    ...overrides,
  };
}

function input(overrides: Partial<AssertionInput> = {}): AssertionInput {
  return { now: NOW, recipient: RECIPIENT, ...overrides };
}

function validate(xml: string, overrides: Partial<AwsSamlValidationOptions> = {}) {
  return validateAwsSamlResponse(base64(xml), options(overrides));
}

function refusal(
  xml: string,
  overrides: Partial<AwsSamlValidationOptions> = {},
): { code: string; message: string } {
  try {
    validate(xml, overrides);
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('the SAML Response was accepted');
}

describe('validateAwsSamlResponse', () => {
  it('accepts a Response whose Assertion the provider signed, and reports the session', () => {
    const signIn = validate(signedResponseXml(input({ sessionDuration: '3600' }), idpKey));
    expect(signIn).toMatchObject({
      roleArn: ADMIN_ROLE,
      principalArn: PROVIDER,
      accountId: MEMBER_ACCOUNT,
      roleName: 'staxid-admin-role',
      sessionName: 'alice@example.com',
      sourceIdentity: 'user-0001',
      sessionDuration: 3600,
      principalTags: { 'staxid:user-id': 'user-0001' },
      issuer: ISSUER,
      subject: 'user-0001',
      subjectType: 'persistent',
      recipient: RECIPIENT,
    });
  });

  it('accepts the provider ARN before the role ARN, as AWS does', () => {
    const signIn = validate(signedResponseXml(input({ roles: [`${PROVIDER},${ADMIN_ROLE}`] }), idpKey));
    expect(signIn.roleArn).toBe(ADMIN_ROLE);
  });

  it('accepts a signature by any certificate of the metadata (rotation)', () => {
    const metadata = metadataXml([idpKey, rotatedKey]);
    const signIn = validate(signedResponseXml(input(), rotatedKey), { providers: () => metadata });
    expect(signIn.sessionName).toBe('alice@example.com');
  });

  it('accepts a Response signed as a whole, the Assertion unsigned', () => {
    const xml = signElement(responseXml(assertionXml(input()), input()), '_response1', idpKey);
    expect(validate(xml).roleArn).toBe(ADMIN_ROLE);
  });

  it('accepts a clock up to 5 minutes behind the IdP, not more', () => {
    const early = new Date(NOW.getTime() - 4 * 60 * 1000);
    expect(validate(signedResponseXml(input(), idpKey), { now: early }).roleArn).toBe(ADMIN_ROLE);
    const tooEarly = new Date(NOW.getTime() - 6 * 60 * 1000);
    expect(refusal(signedResponseXml(input(), idpKey), { now: tooEarly }).code).toBe('InvalidIdentityToken');
  });

  it.each<[string, () => string, Partial<AwsSamlValidationOptions>, string, RegExp]>([
    [
      'a signature by another key',
      () => signedResponseXml(input(), attackerKey),
      {},
      'InvalidIdentityToken',
      /does not verify/,
    ],
    [
      'an attribute changed after signing',
      () => signedResponseXml(input(), idpKey).replace('alice@example.com', 'mallory@example.com'),
      {},
      'InvalidIdentityToken',
      /does not verify/,
    ],
    [
      'no signature',
      () => responseXml(assertionXml(input()), input()),
      {},
      'InvalidIdentityToken',
      /not signed/,
    ],
    [
      'an expired assertion',
      () => signedResponseXml(input({ now: new Date(NOW.getTime() - 20 * 60 * 1000) }), idpKey),
      {},
      'ExpiredTokenException',
      /expired/,
    ],
    [
      'another audience',
      () => signedResponseXml(input({ audience: 'urn:example:sp' }), idpKey),
      {},
      'InvalidIdentityToken',
      /Audience/,
    ],
    [
      'another recipient',
      () =>
        signElement(
          responseXml(assertionXml(input({ recipient: 'https://signin.aws.amazon.com/saml' })), input()),
          '_assertion1',
          idpKey,
        ),
      {},
      'InvalidIdentityToken',
      /Recipient/,
    ],
    [
      'a provider in another account than the role',
      () =>
        signedResponseXml(
          input({ roles: [`${ADMIN_ROLE},arn:aws:iam::${OTHER_ACCOUNT}:saml-provider/staxid`] }),
          idpKey,
        ),
      {},
      'AccessDenied',
      /not in the account/,
    ],
    [
      'an unknown role',
      () =>
        signedResponseXml(input({ roles: [`arn:aws:iam::${MEMBER_ACCOUNT}:role/nope,${PROVIDER}`] }), idpKey),
      {},
      'AccessDenied',
      /does not exist/,
    ],
    [
      'an account without the provider',
      () =>
        signedResponseXml(
          input({
            roles: [
              'arn:aws:iam::999999999999:role/staxid-admin-role,arn:aws:iam::999999999999:saml-provider/staxid',
            ],
          }),
          idpKey,
        ),
      {},
      'InvalidIdentityToken',
      /does not exist/,
    ],
    [
      'another issuer',
      () => signedResponseXml(input({ issuer: 'https://evil.example' }), idpKey),
      {},
      'InvalidIdentityToken',
      /Issuer/,
    ],
    [
      'a one-character session name',
      () => signedResponseXml(input({ sessionName: 'a' }), idpKey),
      {},
      'IDPRejectedClaim',
      /RoleSessionName/,
    ],
    [
      'a bad source identity',
      () => signedResponseXml(input({ sourceIdentity: 'a b' }), idpKey),
      {},
      'IDPRejectedClaim',
      /SourceIdentity/,
    ],
    [
      'a SessionDuration under 900',
      () => signedResponseXml(input({ sessionDuration: '899' }), idpKey),
      {},
      'IDPRejectedClaim',
      /SessionDuration/,
    ],
    [
      "a SessionDuration above the role's maximum",
      () => signedResponseXml(input({ sessionDuration: '7200' }), idpKey),
      {},
      'IDPRejectedClaim',
      /maximum session/,
    ],
    [
      'a tag key starting aws:',
      () => signedResponseXml(input({ tags: { 'aws:x': 'y' } }), idpKey),
      {},
      'IDPRejectedClaim',
      /tag key/,
    ],
    [
      'a tag value over 256 characters',
      () => signedResponseXml(input({ tags: { k: 'v'.repeat(257) } }), idpKey),
      {},
      'IDPRejectedClaim',
      /invalid value/,
    ],
  ])('refuses %s', (_case, build, overrides, code, message) => {
    const { code: actual, message: actualMessage } = refusal(build(), overrides);
    expect(actual).toBe(code);
    expect(actualMessage).toMatch(message);
  });

  it('never takes the key a Response carries in its own KeyInfo', () => {
    const xml = signedResponseXml(input(), attackerKey);
    expect(xml).toContain('<ds:X509Certificate>');
    expect(refusal(xml).message).toMatch(/does not verify with the provider's certificates/);
  });

  it('refuses a Destination other than the sign-in endpoint', () => {
    const xml = signedResponseXml(input(), idpKey).replace(
      `Destination="${RECIPIENT}"`,
      'Destination="https://evil.example/saml"',
    );
    expect(refusal(xml)).toMatchObject({
      code: 'InvalidIdentityToken',
      message: expect.stringMatching(/Destination/),
    });
  });

  describe('signature wrapping (XSW)', () => {
    it('refuses two elements with the same ID', () => {
      const signed = signedResponseXml(input(), idpKey);
      const xml = signed.replace(
        '<samlp:Status>',
        '<samlp:Extensions><x ID="_assertion1"/></samlp:Extensions><samlp:Status>',
      );
      expect(refusal(xml).message).toBe('the ID "_assertion1" appears more than once');
    });

    it('refuses a Signature anywhere but on the Response or the Assertion', () => {
      const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
      const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)?.[0] ?? '';
      const moved = signed
        .replace(signature, '')
        .replace('<saml:Subject>', `<saml:Advice>${signature}</saml:Advice><saml:Subject>`);
      expect(signature).not.toBe('');
      expect(refusal(responseXml(moved, input())).message).toBe(
        'a Signature is neither on the Response nor on the Assertion',
      );
    });

    it('refuses a forged Assertion beside the signed original', () => {
      const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
      const forged = assertionXml(input({ id: '_forged', sessionName: 'mallory' }));
      expect(refusal(responseXml(`${forged}${signed}`, input()))).toMatchObject({
        code: 'InvalidIdentityToken',
        message: 'the Response contains more than one Assertion',
      });
    });

    it('refuses the signed original wrapped inside a forged Assertion', () => {
      const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
      const forged = assertionXml(input({ id: '_forged', sessionName: 'mallory' })).replace(
        '</saml:Issuer>',
        `</saml:Issuer><saml:Advice>${signed}</saml:Advice>`,
      );
      expect(refusal(responseXml(forged, input())).code).toBe('InvalidIdentityToken');
    });

    it('refuses a forged Assertion carrying the original ID, the signed one wrapped in Extensions', () => {
      const signed = signElement(assertionXml(input()), '_assertion1', idpKey);
      const forged = assertionXml(input({ sessionName: 'mallory' }));
      const xml = responseXml(`<samlp:Extensions>${signed}</samlp:Extensions>${forged}`, input());
      expect(refusal(xml)).toMatchObject({
        code: 'InvalidIdentityToken',
        message: expect.stringMatching(/ID|more than one/),
      });
    });

    it('refuses a signed Response whose Assertion was swapped after signing', () => {
      const signed = signElement(responseXml(assertionXml(input()), input()), '_response1', idpKey);
      expect(refusal(signed.replace('alice@example.com', 'mallory')).message).toMatch(/does not verify/);
    });
  });

  it.each([
    [
      'a DTD with an entity',
      (xml: string) => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${xml}`,
    ],
    [
      'an entity expansion bomb',
      (xml: string) => `<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>${xml}`,
    ],
    ['malformed XML', (xml: string) => xml.slice(0, -5)],
  ])('refuses %s', (_case, mangle) => {
    expect(refusal(mangle(signedResponseXml(input(), idpKey))).code).toBe('InvalidIdentityToken');
  });

  it('refuses a value that is not base64', () => {
    expect(() => validateAwsSamlResponse('<samlp:Response/>', options())).toThrow(
      expect.objectContaining({ code: 'InvalidIdentityToken', message: 'the SAML Response is not base64' }),
    );
  });
});
