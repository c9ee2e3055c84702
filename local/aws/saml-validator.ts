/**
 * The checks AWS applies to a SAML Response posted to its sign-in endpoint or passed to STS
 * `AssumeRoleWithSAML` (IAM User Guide, "Configure SAML assertions for the authentication
 * response" and "Troubleshoot SAML 2.0 federation"), for the local stand-ins of `npm start`.
 *
 * Only content a signature made with one of the provider's metadata certificates covers is
 * trusted: after verification the Assertion is re-read from the signed bytes themselves
 * (xml-crypto's `getSignedReferences`), so a wrapped or duplicated Assertion (XSW) cannot
 * put unsigned claims in front of the checks.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { SAML_PROVIDER_NAME } from '@/lambdas/shared/constants';

/** The audience every assertion for AWS must name. */
// AWS's names are written out here again rather than imported from lambdas/saml: the stand-in
// checks what AWS checks, independently of the code that builds the Response.
export const AWS_SAML_AUDIENCE = 'urn:amazon:webservices';

/** How far AWS lets the IdP's clock drift from its own. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** STS accepts a SAMLAssertion of at most this many characters. */
export const MAX_SAML_RESPONSE_CHARS = 100_000;

export const SAML_ATTRIBUTE = {
  role: 'https://aws.amazon.com/SAML/Attributes/Role',
  roleSessionName: 'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
  sourceIdentity: 'https://aws.amazon.com/SAML/Attributes/SourceIdentity',
  sessionDuration: 'https://aws.amazon.com/SAML/Attributes/SessionDuration',
  principalTagPrefix: 'https://aws.amazon.com/SAML/Attributes/PrincipalTag:',
} as const;

const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const NAME_ID_FORMAT_PREFIX = 'urn:oasis:names:tc:SAML:2.0:nameid-format:';
const ACCEPTED_SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
]);

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const PROVIDER_ARN = /^arn:aws:iam::(\d{12}):saml-provider\/([\w.-]{1,128})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAG_KEY_CHARS = 128;
const MAX_TAG_VALUE_CHARS = 256;
const MAX_SESSION_TAGS = 50;
export const MIN_SESSION_SECONDS = 900;
export const MAX_SESSION_SECONDS = 43_200;

/** The error codes STS answers with on the wire (the `awsQueryError` codes of the SDK's model). */
export type StsErrorCode =
  | 'InvalidIdentityToken'
  | 'ExpiredTokenException'
  | 'IDPRejectedClaim'
  | 'AccessDenied'
  | 'MalformedPolicyDocument'
  | 'InvalidAction'
  | 'ValidationError';

const STATUS_BY_CODE: Record<StsErrorCode, number> = {
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPRejectedClaim: 403,
  AccessDenied: 403,
  MalformedPolicyDocument: 400,
  InvalidAction: 400,
  ValidationError: 400,
};

/** AWS refused the SAML Response; `code` is the STS error code, `status` its HTTP status. */
export class AwsSamlError extends Error {
  readonly status: number;

  constructor(
    readonly code: StsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AwsSamlError';
    this.status = STATUS_BY_CODE[code];
  }
}

/** What IAM knows of a role: enough for the session-duration check. */
export interface AwsRole {
  readonly maxSessionDuration: number;
}

export interface AwsSamlValidationOptions {
  /** The metadata XML of the account's `staxid` SAML provider, or undefined when it has none. */
  readonly providers: (accountId: string) => string | undefined;
  /** The role, or undefined when no such role exists. */
  readonly roles: (roleArn: string) => AwsRole | undefined;
  readonly now: Date;
  /** The sign-in endpoint URL every Recipient must name. */
  readonly expectedRecipient: string;
  /**
   * The Role pair to use when the assertion carries several: the sign-in page's choice, or
   * STS's RoleArn/PrincipalArn (which must then be one of the pairs).
   */
  readonly roleArn?: string;
  readonly principalArn?: string;
}

/** A SAML sign-in AWS accepted: the session it grants. */
export interface AwsSamlSignIn {
  readonly roleArn: string;
  readonly roleName: string;
  readonly principalArn: string;
  readonly accountId: string;
  readonly sessionName: string;
  readonly sourceIdentity?: string;
  /** The SessionDuration attribute, seconds (console sessions). */
  readonly sessionDuration?: number;
  readonly principalTags: Readonly<Record<string, string>>;
  readonly issuer: string;
  readonly subject: string;
  /** `transient`, `persistent`, or the full NameID Format. */
  readonly subjectType: string;
  /** STS's NameQualifier: base64(SHA-1(issuer + account id + "/" + provider name)). */
  readonly nameQualifier: string;
  /** The Recipient of the SubjectConfirmationData (STS reports it as Audience). */
  readonly recipient: string;
  /** AuthnStatement's SessionNotOnOrAfter, when present: no session may outlive it. */
  readonly sessionNotOnOrAfter?: Date;
  readonly role: AwsRole;
}

interface RolePair {
  readonly roleArn: string;
  readonly principalArn: string;
}

/** Validates a base64 SAML Response as AWS does; throws AwsSamlError with the STS code on refusal. */
export function validateAwsSamlResponse(
  samlResponseBase64: string,
  options: AwsSamlValidationOptions,
): AwsSamlSignIn {
  const xml = decodeSamlResponse(samlResponseBase64);
  const response = parseXml(xml, 'the SAML Response').documentElement;
  if (!response || !isElement(response, NS.protocol, 'Response'))
    throw invalid('the document is not a SAML 2.0 Response');
  rejectDuplicateIds(response);
  const destination = response.getAttribute('Destination');
  if (destination && destination !== options.expectedRecipient)
    throw invalid(`the Destination ${JSON.stringify(destination)} is not ${options.expectedRecipient}`);
  const unverifiedAssertion = onlyAssertion(response);
  checkStatus(response);

  // The unverified Role pair only says which provider's certificates to check the signature with.
  const unverifiedPair = choosePair(rolePairs(unverifiedAssertion), options);
  const provider = resolveProvider(unverifiedPair, options);
  const assertion = verifiedAssertion(xml, response, unverifiedAssertion, provider.certificates);

  const pair = choosePair(rolePairs(assertion), unverifiedPair);
  const issuer = childText(assertion, NS.assertion, 'Issuer');
  if (provider.entityId !== undefined && issuer !== provider.entityId)
    throw invalid(`the Issuer ${JSON.stringify(issuer)} is not the provider's entityID`);
  checkConditions(assertion, options.now);
  const confirmation = checkSubjectConfirmation(assertion, options);
  const attributes = attributeValues(assertion);
  const nameId = subjectNameId(assertion);
  const sessionDuration = sessionDurationOf(attributes, provider.role);
  const sourceIdentity = sourceIdentityOf(attributes);
  const sessionNotOnOrAfter = authnSessionEnd(assertion);
  return {
    ...pair,
    roleName: provider.roleName,
    accountId: provider.accountId,
    sessionName: sessionNameOf(attributes),
    ...(sourceIdentity !== undefined && { sourceIdentity }),
    ...(sessionDuration !== undefined && { sessionDuration }),
    ...(sessionNotOnOrAfter !== undefined && { sessionNotOnOrAfter }),
    principalTags: principalTagsOf(attributes),
    issuer,
    subject: nameId.value,
    subjectType: nameId.format.startsWith(NAME_ID_FORMAT_PREFIX)
      ? nameId.format.slice(NAME_ID_FORMAT_PREFIX.length)
      : nameId.format,
    nameQualifier: createHash('sha1')
      .update(`${issuer}${provider.accountId}/${SAML_PROVIDER_NAME}`)
      .digest('base64'),
    recipient: confirmation.recipient,
    role: provider.role,
  };
}

/** The signing certificates (PEM) and entityID of a SAML metadata document. */
export function metadataSigningCertificates(metadataXml: string): {
  entityId?: string;
  certificates: string[];
} {
  const root = parseXml(metadataXml, 'the SAML provider metadata').documentElement;
  if (!root || !isElement(root, NS.metadata, 'EntityDescriptor'))
    throw invalid('the SAML provider metadata is not an EntityDescriptor');
  const certificates: string[] = [];
  for (const descriptor of elementsByName(root, NS.metadata, 'IDPSSODescriptor')) {
    for (const key of elementsByName(descriptor, NS.metadata, 'KeyDescriptor')) {
      const use = key.getAttribute('use');
      if (use && use !== 'signing') continue;
      for (const cert of elementsByName(key, NS.dsig, 'X509Certificate')) {
        certificates.push(toPem(cert.textContent ?? ''));
      }
    }
  }
  const entityId = root.getAttribute('entityID');
  return { ...(entityId && { entityId }), certificates };
}

// ---- document ------------------------------------------------------------------------------

function decodeSamlResponse(value: string): string {
  if (value.length === 0) throw invalid('the SAML Response is empty');
  if (value.length > MAX_SAML_RESPONSE_CHARS)
    throw new AwsSamlError(
      'ValidationError',
      `the SAML Response is longer than ${MAX_SAML_RESPONSE_CHARS} characters`,
    );
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0)
    throw invalid('the SAML Response is not base64');
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Parses XML strictly: any parser complaint, a DTD or an entity declaration refuses the document. */
function parseXml(xml: string, what: string) {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid(`${what} contains a DTD, which AWS refuses`);
  try {
    const document = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
    if (document.doctype) throw new Error('a DTD');
    return document;
  } catch (error) {
    throw invalid(
      `${what} is not well-formed XML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function rejectDuplicateIds(root: Element): void {
  const seen = new Set<string>();
  for (const element of descendantsAndSelf(root)) {
    for (const name of ['ID', 'Id', 'id']) {
      const id = element.getAttribute(name);
      if (!id) continue;
      if (seen.has(id)) throw invalid(`the ID ${JSON.stringify(id)} appears more than once`);
      seen.add(id);
    }
  }
}

function onlyAssertion(response: Element): Element {
  if (elementsByName(response, NS.assertion, 'EncryptedAssertion').length > 0)
    throw invalid('encrypted assertions are not configured for this provider');
  const assertions = elementsByName(response, NS.assertion, 'Assertion');
  const [assertion] = assertions;
  if (!assertion) throw invalid('the Response contains no Assertion');
  if (assertions.length > 1) throw invalid('the Response contains more than one Assertion');
  if (assertion.parentNode !== response) throw invalid('the Assertion is not a child of the Response');
  return assertion;
}

function checkStatus(response: Element): void {
  const status = childElements(response, NS.protocol, 'Status')[0];
  const code = status && childElements(status, NS.protocol, 'StatusCode')[0]?.getAttribute('Value');
  if (code !== STATUS_SUCCESS)
    throw invalid(`the Response status is ${JSON.stringify(code ?? null)}, not Success`);
}

// ---- signature -----------------------------------------------------------------------------

interface ResolvedProvider {
  readonly accountId: string;
  readonly roleName: string;
  readonly role: AwsRole;
  readonly entityId?: string;
  readonly certificates: string[];
}

function resolveProvider(pair: RolePair, options: AwsSamlValidationOptions): ResolvedProvider {
  const role = ROLE_ARN.exec(pair.roleArn);
  const provider = PROVIDER_ARN.exec(pair.principalArn);
  if (!role?.[1] || !role[2]) throw invalid(`${JSON.stringify(pair.roleArn)} is not a role ARN`);
  if (!provider?.[1]) throw invalid(`${JSON.stringify(pair.principalArn)} is not a SAML provider ARN`);
  const accountId = role[1];
  if (provider[1] !== accountId)
    throw new AwsSamlError(
      'AccessDenied',
      `Not authorized to perform sts:AssumeRoleWithSAML: ${pair.principalArn} is not in the account of ${pair.roleArn}`,
    );
  const metadata = provider[2] === SAML_PROVIDER_NAME ? options.providers(accountId) : undefined;
  if (metadata === undefined) throw invalid(`the SAML provider ${pair.principalArn} does not exist`);
  const known = options.roles(pair.roleArn);
  if (!known)
    throw new AwsSamlError(
      'AccessDenied',
      `Not authorized to perform sts:AssumeRoleWithSAML: the role ${pair.roleArn} does not exist`,
    );
  const { entityId, certificates } = metadataSigningCertificates(metadata);
  if (certificates.length === 0)
    throw invalid(`the SAML provider ${pair.principalArn} has no signing certificate`);
  return { accountId, roleName: role[2], role: known, certificates, ...(entityId && { entityId }) };
}

/**
 * Verifies every signature on the Response and the Assertion with the provider's certificates
 * and returns the Assertion re-parsed from the signed bytes.
 */
function verifiedAssertion(
  xml: string,
  response: Element,
  assertion: Element,
  certificates: string[],
): Element {
  const signatures = elementsByName(response, NS.dsig, 'Signature');
  if (signatures.length === 0) throw invalid('the SAML Response is not signed');
  let fromAssertionSignature: Element | undefined;
  let fromResponseSignature: Element | undefined;
  for (const signature of signatures) {
    const parent =
      signature.parentNode === response
        ? response
        : signature.parentNode === assertion
          ? assertion
          : undefined;
    if (!parent) throw invalid('a Signature is neither on the Response nor on the Assertion');
    const signedXml = verifiedSignedContent(xml, signature, parent, certificates);
    const signed = parseXml(signedXml, 'the signed content').documentElement;
    if (!signed) throw invalid('the signed content is empty');
    if (parent === assertion) fromAssertionSignature = signed;
    else fromResponseSignature = onlyAssertion(signed);
  }
  const verified = fromAssertionSignature ?? fromResponseSignature;
  if (!verified || !isElement(verified, NS.assertion, 'Assertion'))
    throw invalid('no signature covers the Assertion');
  return verified;
}

function verifiedSignedContent(
  xml: string,
  signature: Element,
  parent: Element,
  certificates: string[],
): string {
  const algorithm = elementsByName(signature, NS.dsig, 'SignatureMethod')[0]?.getAttribute('Algorithm') ?? '';
  if (!ACCEPTED_SIGNATURE_ALGORITHMS.has(algorithm))
    throw invalid(`the signature algorithm ${JSON.stringify(algorithm)} is not accepted`);
  const id = parent.getAttribute('ID');
  if (!id) throw invalid(`the signed ${parent.localName} has no ID`);
  for (const certificate of certificates) {
    // Only the provider's certificates: never a key the message itself carries in KeyInfo.
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(signature);
      if (!verifier.checkSignature(xml)) continue;
    } catch {
      continue;
    }
    const references = verifier.getReferences();
    const signed = verifier.getSignedReferences();
    if (references.length !== 1 || references[0]?.uri !== `#${id}` || signed.length !== 1 || !signed[0])
      throw invalid(`the signature on the ${parent.localName} must reference exactly that element`);
    return signed[0];
  }
  throw invalid(`the signature on the ${parent.localName} does not verify with the provider's certificates`);
}

// ---- conditions and subject ------------------------------------------------------------------

function checkConditions(assertion: Element, now: Date): void {
  const conditions = childElements(assertion, NS.assertion, 'Conditions')[0];
  if (!conditions) throw invalid('the Assertion has no Conditions');
  checkTimeWindow(conditions, now, 'Conditions');
  const restrictions = childElements(conditions, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) throw invalid('the Assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = childElements(restriction, NS.assertion, 'Audience').map((a) => text(a));
    if (!audiences.includes(AWS_SAML_AUDIENCE))
      throw invalid(`the Audience ${JSON.stringify(audiences)} does not include ${AWS_SAML_AUDIENCE}`);
  }
}

function checkSubjectConfirmation(
  assertion: Element,
  options: AwsSamlValidationOptions,
): { recipient: string } {
  const subject = childElements(assertion, NS.assertion, 'Subject')[0];
  const confirmations = subject ? childElements(subject, NS.assertion, 'SubjectConfirmation') : [];
  const [confirmation] = confirmations;
  if (!confirmation || confirmations.length !== 1)
    throw invalid('the Subject must have exactly one SubjectConfirmation');
  if (confirmation.getAttribute('Method') !== BEARER)
    throw invalid('the SubjectConfirmation method is not bearer');
  const data = childElements(confirmation, NS.assertion, 'SubjectConfirmationData')[0];
  if (!data?.getAttribute('NotOnOrAfter') || !data.getAttribute('Recipient'))
    throw invalid('the SubjectConfirmationData needs NotOnOrAfter and Recipient');
  const recipient = data.getAttribute('Recipient') ?? '';
  if (recipient !== options.expectedRecipient)
    throw invalid(`the Recipient ${JSON.stringify(recipient)} is not ${options.expectedRecipient}`);
  checkTimeWindow(data, options.now, 'SubjectConfirmationData');
  return { recipient };
}

function checkTimeWindow(element: Element, now: Date, what: string): void {
  const notBefore = instant(element, 'NotBefore', what);
  const notOnOrAfter = instant(element, 'NotOnOrAfter', what);
  if (notBefore !== undefined && now.getTime() + MAX_CLOCK_SKEW_MS < notBefore)
    throw invalid(`the ${what} are not valid before ${new Date(notBefore).toISOString()}`);
  if (notOnOrAfter !== undefined && now.getTime() - MAX_CLOCK_SKEW_MS >= notOnOrAfter)
    throw new AwsSamlError(
      'ExpiredTokenException',
      `the SAML Response expired at ${new Date(notOnOrAfter).toISOString()} (${what} NotOnOrAfter)`,
    );
}

function instant(element: Element, attribute: string, what: string): number | undefined {
  const value = element.getAttribute(attribute);
  if (!value) return undefined;
  const time = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) || Number.isNaN(time))
    throw invalid(`the ${what} ${attribute} ${JSON.stringify(value)} is not an xs:dateTime in UTC`);
  return time;
}

function subjectNameId(assertion: Element): { value: string; format: string } {
  const subject = childElements(assertion, NS.assertion, 'Subject')[0];
  const nameId = subject && childElements(subject, NS.assertion, 'NameID')[0];
  const value = nameId ? text(nameId) : '';
  if (!nameId || value === '') throw invalid('the Subject has no NameID');
  return { value, format: nameId.getAttribute('Format') ?? `${NAME_ID_FORMAT_PREFIX}unspecified` };
}

function authnSessionEnd(assertion: Element): Date | undefined {
  const statement = childElements(assertion, NS.assertion, 'AuthnStatement')[0];
  const end = statement && instant(statement, 'SessionNotOnOrAfter', 'AuthnStatement');
  return end === undefined ? undefined : new Date(end);
}

// ---- attributes ------------------------------------------------------------------------------

function attributeValues(assertion: Element): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      const list = values.get(name) ?? [];
      for (const value of childElements(attribute, NS.assertion, 'AttributeValue')) list.push(text(value));
      values.set(name, list);
    }
  }
  return values;
}

function rolePairs(assertion: Element): RolePair[] {
  const values = attributeValues(assertion).get(SAML_ATTRIBUTE.role) ?? [];
  return values.map((value) => {
    const parts = value.split(',').map((part) => part.trim());
    const roleArn = parts.find((part) => part.includes(':role/'));
    const principalArn = parts.find((part) => part.includes(':saml-provider/'));
    if (parts.length !== 2 || !roleArn || !principalArn)
      throw invalid(`the Role value ${JSON.stringify(value)} is not "<role ARN>,<provider ARN>"`);
    return { roleArn, principalArn };
  });
}

function choosePair(pairs: RolePair[], wanted: { roleArn?: string; principalArn?: string }): RolePair {
  if (pairs.length === 0) throw invalid(`the Assertion has no ${SAML_ATTRIBUTE.role} attribute`);
  const matching = pairs.filter(
    (pair) =>
      (wanted.roleArn === undefined || pair.roleArn === wanted.roleArn) &&
      (wanted.principalArn === undefined || pair.principalArn === wanted.principalArn),
  );
  const [pair] = matching;
  if (!pair)
    throw invalid("the SAML Assertion doesn't contain the requested Role and provider in its Role attribute");
  if (matching.length > 1)
    throw new AwsSamlError(
      'ValidationError',
      `the Assertion grants ${matching.length} roles: choose one (roleIndex, or RoleArn and PrincipalArn)`,
    );
  return pair;
}

function singleValue(attributes: Map<string, string[]>, name: string): string | undefined {
  const values = attributes.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw rejected(`${name} must have exactly one value`);
  return values[0];
}

function sessionNameOf(attributes: Map<string, string[]>): string {
  const name = singleValue(attributes, SAML_ATTRIBUTE.roleSessionName);
  if (name === undefined) throw invalid(`the Assertion has no ${SAML_ATTRIBUTE.roleSessionName} attribute`);
  if (!SESSION_NAME.test(name))
    throw rejected(`RoleSessionName ${JSON.stringify(name)} must be 2 to 64 characters of [\\w+=,.@-]`);
  return name;
}

function sourceIdentityOf(attributes: Map<string, string[]>): string | undefined {
  const value = singleValue(attributes, SAML_ATTRIBUTE.sourceIdentity);
  if (value !== undefined && (!SESSION_NAME.test(value) || /^aws:/i.test(value)))
    throw rejected(`SourceIdentity ${JSON.stringify(value)} must be 2 to 64 characters of [\\w+=,.@-]`);
  return value;
}

function sessionDurationOf(attributes: Map<string, string[]>, role: AwsRole): number | undefined {
  const value = singleValue(attributes, SAML_ATTRIBUTE.sessionDuration);
  if (value === undefined) return undefined;
  const seconds = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= MIN_SESSION_SECONDS && seconds <= MAX_SESSION_SECONDS))
    throw rejected(
      `SessionDuration ${JSON.stringify(value)} must be ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS} seconds`,
    );
  if (seconds > role.maxSessionDuration)
    throw rejected(
      `SessionDuration ${seconds} exceeds the role's maximum session of ${role.maxSessionDuration}`,
    );
  return seconds;
}

function principalTagsOf(attributes: Map<string, string[]>): Record<string, string> {
  const tags: Record<string, string> = {};
  const lowerKeys = new Set<string>();
  for (const name of attributes.keys()) {
    if (!name.startsWith(SAML_ATTRIBUTE.principalTagPrefix)) continue;
    const key = name.slice(SAML_ATTRIBUTE.principalTagPrefix.length);
    const value = singleValue(attributes, name) ?? '';
    if (key.length === 0 || key.length > MAX_TAG_KEY_CHARS || !TAG_CHARACTERS.test(key) || /^aws:/i.test(key))
      throw rejected(`the session tag key ${JSON.stringify(key)} is not a valid tag key`);
    if (value.length > MAX_TAG_VALUE_CHARS || !TAG_CHARACTERS.test(value))
      throw rejected(`the session tag ${JSON.stringify(key)} has an invalid value`);
    if (lowerKeys.has(key.toLowerCase()))
      throw rejected(`the session tag ${JSON.stringify(key)} appears twice`);
    lowerKeys.add(key.toLowerCase());
    tags[key] = value;
  }
  if (lowerKeys.size > MAX_SESSION_TAGS)
    throw rejected(`at most ${MAX_SESSION_TAGS} session tags are allowed`);
  return tags;
}

// ---- DOM helpers -------------------------------------------------------------------------------

function isElement(node: Element, namespace: string, localName: string): boolean {
  return node.namespaceURI === namespace && node.localName === localName;
}

function elementsByName(root: Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName));
}

function childElements(parent: Element, namespace: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (node): node is Element => node.nodeType === 1 && isElement(node as Element, namespace, localName),
  );
}

function descendantsAndSelf(root: Element): Element[] {
  return [root, ...Array.from(root.getElementsByTagName('*'))];
}

function childText(parent: Element, namespace: string, localName: string): string {
  const child = childElements(parent, namespace, localName)[0];
  return child ? text(child) : '';
}

function text(element: Element): string {
  return (element.textContent ?? '').trim();
}

function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid('the SAML provider metadata holds a certificate that does not parse');
  }
  return pem;
}

function invalid(message: string): AwsSamlError {
  return new AwsSamlError('InvalidIdentityToken', message);
}

function rejected(message: string): AwsSamlError {
  return new AwsSamlError('IDPRejectedClaim', message);
}
