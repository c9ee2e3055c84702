/**
 * Signed SAML Responses for the local AWS stand-ins' tests: RSA keys with self-signed
 * certificates made by openssl, Responses shaped like staxid's, signed with xml-crypto
 * (RSA-SHA256, exclusive c14n, enveloped), and the metadata holding the certificates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

export interface TestKey {
  readonly privateKey: string;
  readonly certificate: string;
}

export const ISSUER = 'https://staxid.test/saml';
export const MEMBER_ACCOUNT = '100000000004';
export const OTHER_ACCOUNT = '100000000005';
export const ADMIN_ROLE = `arn:aws:iam::${MEMBER_ACCOUNT}:role/staxid-admin-role`;
export const PROVIDER = `arn:aws:iam::${MEMBER_ACCOUNT}:saml-provider/staxid`;

/** A 2048-bit RSA key and a self-signed certificate for it. */
export function makeTestKey(commonName: string): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'staxid-saml-key-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      privateKey: readFileSync(join(dir, 'key.pem'), 'utf8'),
      certificate: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bareCertificate(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** SAML metadata of an IdP signing with any of `keys`. */
export function metadataXml(keys: readonly TestKey[], entityId = ISSUER): string {
  const descriptors = keys
    .map(
      (key) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${bareCertificate(key.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${descriptors}</md:IDPSSODescriptor></md:EntityDescriptor>`;
}

export interface AssertionInput {
  readonly now: Date;
  readonly recipient: string;
  readonly id?: string;
  readonly audience?: string;
  readonly issuer?: string;
  /** Role attribute values. @default [`${ADMIN_ROLE},${PROVIDER}`] */
  readonly roles?: readonly string[];
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  readonly sessionDuration?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** AuthnStatement's SessionNotOnOrAfter. @default none */
  readonly sessionNotOnOrAfter?: Date;
  /** Lifetime of the assertion from `now`. @default 5 minutes */
  readonly lifetimeMs?: number;
}

/** An unsigned saml:Assertion as staxid builds it. */
export function assertionXml(input: AssertionInput): string {
  const issued = input.now.toISOString();
  const until = new Date(input.now.getTime() + (input.lifetimeMs ?? 5 * 60 * 1000)).toISOString();
  const attribute = (name: string, values: readonly string[]): string =>
    `<saml:Attribute Name="${name}">${values.map((value) => `<saml:AttributeValue>${value}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const base = 'https://aws.amazon.com/SAML/Attributes/';
  const attributes = [
    attribute(`${base}Role`, input.roles ?? [`${ADMIN_ROLE},${PROVIDER}`]),
    attribute(`${base}RoleSessionName`, [input.sessionName ?? 'alice@example.com']),
    attribute(`${base}SourceIdentity`, [input.sourceIdentity ?? 'user-0001']),
    ...(input.sessionDuration ? [attribute(`${base}SessionDuration`, [input.sessionDuration])] : []),
    ...Object.entries(input.tags ?? { 'staxid:user-id': 'user-0001' }).map(([key, value]) =>
      attribute(`${base}PrincipalTag:${key}`, [value]),
    ),
  ].join('');
  return [
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${input.id ?? '_assertion1'}" Version="2.0" IssueInstant="${issued}">`,
    `<saml:Issuer>${input.issuer ?? ISSUER}</saml:Issuer>`,
    '<saml:Subject>',
    '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">user-0001</saml:NameID>',
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${input.recipient}"/>`,
    '</saml:SubjectConfirmation>',
    '</saml:Subject>',
    `<saml:Conditions NotBefore="${issued}" NotOnOrAfter="${until}">`,
    `<saml:AudienceRestriction><saml:Audience>${input.audience ?? 'urn:amazon:webservices'}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    `<saml:AuthnStatement AuthnInstant="${issued}"${input.sessionNotOnOrAfter ? ` SessionNotOnOrAfter="${input.sessionNotOnOrAfter.toISOString()}"` : ''}><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`,
    '</saml:Assertion>',
  ].join('');
}

/** A samlp:Response around `inner` (one or more assertions, or anything else). */
export function responseXml(inner: string, input: { now: Date; recipient: string; id?: string }): string {
  return [
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${input.id ?? '_response1'}" Version="2.0" IssueInstant="${input.now.toISOString()}" Destination="${input.recipient}">`,
    `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${ISSUER}</saml:Issuer>`,
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>',
    inner,
    '</samlp:Response>',
  ].join('');
}

/** Signs the element with `id` (enveloped, placed after its Issuer). */
export function signElement(xml: string, id: string, key: TestKey): string {
  const signer = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.certificate,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const target = `//*[@ID='${id}']`;
  signer.addReference({
    xpath: target,
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

/** A Response with its Assertion signed by `key`, as staxid sends it. */
export function signedResponseXml(input: AssertionInput, key: TestKey): string {
  return signElement(responseXml(assertionXml(input), input), input.id ?? '_assertion1', key);
}

export function base64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}
