import { createHash, randomBytes } from 'node:crypto';
import { element, isXmlText } from '@/lambdas/saml/canonical-xml';
import type { SamlSigner } from '@/lambdas/saml/signer';
import { ValidationError } from '@/lambdas/shared/errors';
import { SigningKeyError } from '@/lambdas/shared/signing';

/**
 * The SAML 2.0 Response with which staxid signs a user into an AWS account (IdP-initiated
 * HTTP-POST to the AWS sign-in endpoint). It follows SAML 2.0 core and what AWS requires of
 * an assertion (IAM User Guide, "Configure SAML assertions for the authentication response"):
 * one Assertion, signed (enveloped XML-DSig, rsa-sha256, exclusive c14n), with a Bearer
 * SubjectConfirmation whose Recipient is the endpoint, the audience `urn:amazon:webservices`,
 * and the Role / RoleSessionName / SourceIdentity / SessionDuration / PrincipalTag attributes.
 * The XML is written directly in canonical form (lambdas/saml/canonical-xml.ts), so the
 * digest is over the bytes written.
 */

/** Everything the Response says: who signs in, to which role, for how long, with which tags. */
export interface SamlSignInAssertion {
  /** The IdP entity id (the Issuer); the SAML provider in each account trusts it through the metadata. */
  readonly issuer: string;
  /** AWS SAML endpoint, e.g. https://signin.aws.amazon.com/saml (AWS_SAML_SIGNIN_URL). */
  readonly destination: string;
  readonly roleArn: string;
  /** arn:aws:iam::<acct>:saml-provider/staxid */
  readonly providerArn: string;
  /** RoleSessionName: the user's email. */
  readonly sessionName: string;
  /** The staxid user id; also the persistent NameID. */
  readonly sourceIdentity: string;
  /** 900..43200 */
  readonly sessionDurationSeconds: number;
  readonly principalTags: Readonly<Record<string, string>>;
  readonly now: Date;
}

/** An assertion input AWS would refuse; `field` names the SamlSignInAssertion property. A 400, never a 500. */
export class SamlAssertionError extends ValidationError {}

export const SAML_NAMESPACES = {
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  xmldsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** The audience of every assertion AWS accepts. */
export const AWS_SAML_AUDIENCE = 'urn:amazon:webservices';

/** Names of the SAML attributes AWS reads. */
export const AWS_SAML_ATTRIBUTES = {
  role: 'https://aws.amazon.com/SAML/Attributes/Role',
  roleSessionName: 'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
  sourceIdentity: 'https://aws.amazon.com/SAML/Attributes/SourceIdentity',
  sessionDuration: 'https://aws.amazon.com/SAML/Attributes/SessionDuration',
  principalTagPrefix: 'https://aws.amazon.com/SAML/Attributes/PrincipalTag:',
} as const;

/** How long a Response may be presented: AWS needs it for one POST, right after it is made. */
export const SAML_RESPONSE_LIFETIME_SECONDS = 5 * 60;

/** How far NotBefore lies before IssueInstant, for the receiver's clock running behind ours. */
export const SAML_CLOCK_SKEW_SECONDS = 30;

/** Session duration bounds of AssumeRoleWithSAML and of the console. */
export const MIN_SESSION_DURATION_SECONDS = 900;
export const MAX_SESSION_DURATION_SECONDS = 43_200;

/** Session tag limits of STS: 50 tags, keys 1–128 and values 0–256 characters of this set. */
export const MAX_PRINCIPAL_TAGS = 50;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** RoleSessionName and SourceIdentity: 2–64 characters of letters, digits and `_+=,.@-`. */
const SESSION_IDENTIFIER = /^[\w+=,.@-]{2,64}$/;

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const SAML_PROVIDER_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):saml-provider\/[\w.-]{1,128}$/;

const XMLDSIG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
} as const;

function fail(field: string, message: string): never {
  throw new SamlAssertionError(field, message);
}

const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:/i;
const HTTP_URL = /^https?:\/\//;

function assertUri(field: string, value: string, pattern: RegExp, kind: string): void {
  if (!URL.canParse(value) || !pattern.test(value) || !isXmlText(value)) {
    fail(field, `must be ${kind} (got ${JSON.stringify(value)})`);
  }
}

function assertSameAccount(roleArn: string, providerArn: string): void {
  const role = ROLE_ARN.exec(roleArn);
  if (!role) {
    fail(
      'roleArn',
      `must be an IAM role ARN, arn:aws:iam::<account>:role/<name> (got ${JSON.stringify(roleArn)})`,
    );
  }
  const provider = SAML_PROVIDER_ARN.exec(providerArn);
  if (!provider) {
    fail(
      'providerArn',
      `must be an IAM SAML provider ARN, arn:aws:iam::<account>:saml-provider/<name> (got ${JSON.stringify(providerArn)})`,
    );
  }
  if (role[1] !== provider[1] || role[2] !== provider[2]) {
    fail('providerArn', `must be in the role's partition and account (${role[1]}, ${role[2]})`);
  }
}

function assertPrincipalTags(tags: Readonly<Record<string, string>>): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_PRINCIPAL_TAGS) {
    fail('principalTags', `at most ${MAX_PRINCIPAL_TAGS} tags (got ${keys.length})`);
  }
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(tags)) {
    const field = `principalTags.${key}`;
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH || !TAG_CHARACTERS.test(key)) {
      fail(field, `tag keys must be 1 to ${MAX_TAG_KEY_LENGTH} letters, digits, spaces or _.:/=+-@`);
    }
    if (key.toLowerCase().startsWith('aws:')) fail(field, 'tag keys must not begin with "aws:"');
    if (seen.has(key.toLowerCase())) fail(field, 'tag keys must differ in more than letter case');
    seen.add(key.toLowerCase());
    if (value.length > MAX_TAG_VALUE_LENGTH || !TAG_CHARACTERS.test(value)) {
      fail(field, `tag values must be at most ${MAX_TAG_VALUE_LENGTH} letters, digits, spaces or _.:/=+-@`);
    }
  }
}

/** Refuses an assertion AWS would refuse, naming the property and how to fix it. */
export function assertValidSignInAssertion(assertion: SamlSignInAssertion): void {
  assertUri('issuer', assertion.issuer, ABSOLUTE_URI, 'an absolute URI, the IdP entity id');
  assertUri('destination', assertion.destination, HTTP_URL, 'an http(s) URL, the AWS SAML endpoint');
  assertSameAccount(assertion.roleArn, assertion.providerArn);
  if (!SESSION_IDENTIFIER.test(assertion.sessionName)) {
    fail('sessionName', 'must be 2 to 64 letters, digits or _+=,.@- (AWS RoleSessionName)');
  }
  if (!SESSION_IDENTIFIER.test(assertion.sourceIdentity)) {
    fail('sourceIdentity', 'must be 2 to 64 letters, digits or _+=,.@- (AWS SourceIdentity)');
  }
  const duration = assertion.sessionDurationSeconds;
  if (
    !Number.isInteger(duration) ||
    duration < MIN_SESSION_DURATION_SECONDS ||
    duration > MAX_SESSION_DURATION_SECONDS
  ) {
    fail(
      'sessionDurationSeconds',
      `must be a whole number of seconds from ${MIN_SESSION_DURATION_SECONDS} to ${MAX_SESSION_DURATION_SECONDS} (got ${duration})`,
    );
  }
  assertPrincipalTags(assertion.principalTags);
  if (Number.isNaN(assertion.now.getTime())) fail('now', 'must be a valid date');
}

/** A fresh SAML ID: an NCName (`_` + 160 random bits in hex), unique per message. */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** xs:dateTime in UTC, to the second. */
function instant(date: Date, offsetSeconds = 0): string {
  return new Date(Math.floor(date.getTime() / 1000 + offsetSeconds) * 1000)
    .toISOString()
    .replace('.000Z', 'Z');
}

function attribute(name: string, value: string): string {
  return element(
    'saml:Attribute',
    { Name: name, NameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri' },
    [element('saml:AttributeValue', {}, value)],
  );
}

/** The children of the Assertion after Issuer (and after the Signature, once signed). */
function assertionBody(assertion: SamlSignInAssertion, assertionId: string): string[] {
  const { now } = assertion;
  const expires = instant(now, SAML_RESPONSE_LIFETIME_SECONDS);
  const subject = element('saml:Subject', {}, [
    element(
      'saml:NameID',
      { Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
      assertion.sourceIdentity,
    ),
    element('saml:SubjectConfirmation', { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' }, [
      element('saml:SubjectConfirmationData', { NotOnOrAfter: expires, Recipient: assertion.destination }),
    ]),
  ]);
  const conditions = element(
    'saml:Conditions',
    { NotBefore: instant(now, -SAML_CLOCK_SKEW_SECONDS), NotOnOrAfter: expires },
    [element('saml:AudienceRestriction', {}, [element('saml:Audience', {}, AWS_SAML_AUDIENCE)])],
  );
  const authnStatement = element(
    'saml:AuthnStatement',
    {
      AuthnInstant: instant(now),
      SessionIndex: assertionId,
      SessionNotOnOrAfter: instant(now, assertion.sessionDurationSeconds),
    },
    [
      element('saml:AuthnContext', {}, [
        element('saml:AuthnContextClassRef', {}, 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified'),
      ]),
    ],
  );
  const attributes = element('saml:AttributeStatement', {}, [
    attribute(AWS_SAML_ATTRIBUTES.role, `${assertion.roleArn},${assertion.providerArn}`),
    attribute(AWS_SAML_ATTRIBUTES.roleSessionName, assertion.sessionName),
    attribute(AWS_SAML_ATTRIBUTES.sourceIdentity, assertion.sourceIdentity),
    attribute(AWS_SAML_ATTRIBUTES.sessionDuration, String(assertion.sessionDurationSeconds)),
    ...Object.entries(assertion.principalTags).map(([key, value]) =>
      attribute(`${AWS_SAML_ATTRIBUTES.principalTagPrefix}${key}`, value),
    ),
  ]);
  return [subject, conditions, authnStatement, attributes];
}

/** SignedInfo's children: one Reference to the assertion, enveloped-signature + exc-c14n. */
function signedInfoChildren(assertionId: string, digest: string): string[] {
  return [
    element('ds:CanonicalizationMethod', { Algorithm: XMLDSIG.excC14n }),
    element('ds:SignatureMethod', { Algorithm: XMLDSIG.rsaSha256 }),
    element('ds:Reference', { URI: `#${assertionId}` }, [
      element('ds:Transforms', {}, [
        element('ds:Transform', { Algorithm: XMLDSIG.envelopedSignature }),
        element('ds:Transform', { Algorithm: XMLDSIG.excC14n }),
      ]),
      element('ds:DigestMethod', { Algorithm: XMLDSIG.sha256 }),
      element('ds:DigestValue', {}, digest),
    ]),
  ];
}

/**
 * The enveloped Signature of the assertion whose canonical form (without the Signature) is
 * `unsignedAssertion`. What is signed is SignedInfo as exclusive c14n renders it on its own:
 * with the `ds` namespace declared on it, which inside Signature is declared by the parent.
 */
async function envelopedSignature(
  assertionId: string,
  unsignedAssertion: string,
  signer: SamlSigner,
): Promise<string> {
  const digest = createHash('sha256').update(unsignedAssertion, 'utf8').digest('base64');
  const children = signedInfoChildren(assertionId, digest);
  const canonicalSignedInfo = element('ds:SignedInfo', { 'xmlns:ds': SAML_NAMESPACES.xmldsig }, children);
  const [signature, [certificate]] = await Promise.all([
    signer.sign(new TextEncoder().encode(canonicalSignedInfo)),
    signer.certificates(),
  ]);
  if (!certificate) throw new SigningKeyError('the SAML signer has no certificate');
  return element('ds:Signature', { 'xmlns:ds': SAML_NAMESPACES.xmldsig }, [
    element('ds:SignedInfo', {}, children),
    element('ds:SignatureValue', {}, Buffer.from(signature).toString('base64')),
    element('ds:KeyInfo', {}, [element('ds:X509Data', {}, [element('ds:X509Certificate', {}, certificate)])]),
  ]);
}

/**
 * The signed Response XML (the caller base64-encodes it as the `SAMLResponse` form field).
 * Throws SamlAssertionError (a 400) for input AWS would refuse, before anything is signed.
 */
export async function buildSignedSamlResponse(
  assertion: SamlSignInAssertion,
  signer: SamlSigner,
): Promise<string> {
  assertValidSignInAssertion(assertion);
  const assertionId = newSamlId();
  const issueInstant = instant(assertion.now);
  const assertionAttributes = {
    'xmlns:saml': SAML_NAMESPACES.assertion,
    ID: assertionId,
    IssueInstant: issueInstant,
    Version: '2.0',
  };
  const issuer = element('saml:Issuer', {}, assertion.issuer);
  const body = assertionBody(assertion, assertionId);
  const unsigned = element('saml:Assertion', assertionAttributes, [issuer, ...body]);
  const signature = await envelopedSignature(assertionId, unsigned, signer);
  return element(
    'samlp:Response',
    {
      'xmlns:samlp': SAML_NAMESPACES.protocol,
      Destination: assertion.destination,
      ID: newSamlId(),
      IssueInstant: issueInstant,
      Version: '2.0',
    },
    [
      element('saml:Issuer', { 'xmlns:saml': SAML_NAMESPACES.assertion }, assertion.issuer),
      element('samlp:Status', {}, [
        element('samlp:StatusCode', { Value: 'urn:oasis:names:tc:SAML:2.0:status:Success' }),
      ]),
      element('saml:Assertion', assertionAttributes, [issuer, signature, ...body]),
    ],
  );
}
