/**
 * The local stand-in for STS `AssumeRoleWithSAML`: the Query protocol (form-encoded POST,
 * XML answer) as far as `@aws-sdk/client-sts` needs it, so the SDK pointed at it with
 * `endpoint` gets credentials, or the exception AWS would raise. The credentials it hands back
 * are marked as local (`ASIALOCAL...`, `staxid-local-...`) and open nothing anywhere.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  AwsSamlError,
  type AwsSamlSignIn,
  type AwsSamlValidationOptions,
  MAX_SESSION_SECONDS,
  MIN_SESSION_SECONDS,
  validateAwsSamlResponse,
} from '@/local/aws/saml-validator';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_VERSION = '2011-06-15';
const DEFAULT_DURATION_SECONDS = 3600;
/** Every local access key starts so; with the random rest it is 20 characters, as AWS's are. */
export const LOCAL_ACCESS_KEY_PREFIX = 'ASIALOCAL';
export const LOCAL_SESSION_TOKEN_PREFIX = 'staxid-local-';

/** What a Query-protocol answer needs: status and XML body. */
export interface StsReply {
  readonly status: number;
  readonly body: string;
}

/** The provider and role lookups of the validator, with the time and the sign-in endpoint. */
export type StsContext = Pick<AwsSamlValidationOptions, 'providers' | 'roles' | 'now' | 'expectedRecipient'>;

/** Answers one STS Query request: AssumeRoleWithSAML, or the error STS gives for anything else. */
export function handleStsRequest(params: URLSearchParams, context: StsContext): StsReply {
  const requestId = randomUUID();
  try {
    if (params.get('Action') !== 'AssumeRoleWithSAML')
      throw new AwsSamlError('InvalidAction', 'the local STS implements only AssumeRoleWithSAML');
    if (params.get('Version') !== STS_VERSION)
      throw new AwsSamlError('ValidationError', `Version must be ${STS_VERSION}`);
    const request = assumeRoleRequest(params);
    checkSessionPolicy(params.get('Policy'));
    const signIn = validateAwsSamlResponse(request.samlAssertion, {
      ...context,
      roleArn: request.roleArn,
      principalArn: request.principalArn,
    });
    if (request.durationSeconds > signIn.role.maxSessionDuration)
      throw new AwsSamlError(
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${signIn.role.maxSessionDuration}).`,
      );
    return {
      status: 200,
      body: assumeRoleResponse(signIn, expiration(signIn, request, context.now), requestId),
    };
  } catch (error) {
    if (!(error instanceof AwsSamlError)) throw error;
    return { status: error.status, body: stsErrorResponse(error, requestId) };
  }
}

interface AssumeRoleWithSamlRequest {
  readonly roleArn: string;
  readonly principalArn: string;
  readonly samlAssertion: string;
  readonly durationSeconds: number;
}

function assumeRoleRequest(params: URLSearchParams): AssumeRoleWithSamlRequest {
  const required = (name: string): string => {
    const value = params.get(name);
    if (!value) throw new AwsSamlError('ValidationError', `${name} is required`);
    return value;
  };
  const duration = params.get('DurationSeconds');
  const durationSeconds = duration === null ? DEFAULT_DURATION_SECONDS : Number(duration);
  if (
    !Number.isInteger(durationSeconds) ||
    durationSeconds < MIN_SESSION_SECONDS ||
    durationSeconds > MAX_SESSION_SECONDS
  )
    throw new AwsSamlError(
      'ValidationError',
      `DurationSeconds must be a whole number from ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS}`,
    );
  return {
    roleArn: required('RoleArn'),
    principalArn: required('PrincipalArn'),
    samlAssertion: required('SAMLAssertion'),
    durationSeconds,
  };
}

/**
 * An inline session policy must be a JSON policy document, as IAM parses it; the local
 * credentials open nothing, so it is checked and otherwise ignored.
 */
function checkSessionPolicy(policy: string | null): void {
  if (policy === null) return;
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw new AwsSamlError('MalformedPolicyDocument', 'the session Policy is not JSON');
  }
  const statement =
    typeof document === 'object' && document !== null
      ? (document as { Statement?: unknown }).Statement
      : undefined;
  if (typeof statement !== 'object' || statement === null)
    throw new AwsSamlError('MalformedPolicyDocument', 'the session Policy has no Statement');
}

/** DurationSeconds from now, cut at the assertion's SessionNotOnOrAfter as AWS does. */
function expiration(signIn: AwsSamlSignIn, request: AssumeRoleWithSamlRequest, now: Date): Date {
  const requested = now.getTime() + request.durationSeconds * 1000;
  const sessionEnd = signIn.sessionNotOnOrAfter?.getTime() ?? requested;
  return new Date(Math.min(requested, sessionEnd));
}

function assumeRoleResponse(signIn: AwsSamlSignIn, expiresAt: Date, requestId: string): string {
  const credentials = localCredentials();
  const roleId = `AROA${createHash('sha256').update(signIn.roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
  const fields: [string, string | undefined][] = [
    ['Audience', signIn.recipient],
    ['Issuer', signIn.issuer],
    ['Subject', signIn.subject],
    ['SubjectType', signIn.subjectType],
    ['NameQualifier', signIn.nameQualifier],
    ['SourceIdentity', signIn.sourceIdentity],
    ['PackedPolicySize', Object.keys(signIn.principalTags).length > 0 ? '1' : undefined],
  ];
  return [
    `<AssumeRoleWithSAMLResponse xmlns="${STS_NAMESPACE}">`,
    '<AssumeRoleWithSAMLResult>',
    '<Credentials>',
    element('AccessKeyId', credentials.accessKeyId),
    element('SecretAccessKey', credentials.secretAccessKey),
    element('SessionToken', credentials.sessionToken),
    element('Expiration', expiresAt.toISOString()),
    '</Credentials>',
    '<AssumedRoleUser>',
    element('AssumedRoleId', `${roleId}:${signIn.sessionName}`),
    element('Arn', `arn:aws:sts::${signIn.accountId}:assumed-role/${signIn.roleName}/${signIn.sessionName}`),
    '</AssumedRoleUser>',
    ...fields.filter(([, value]) => value !== undefined).map(([name, value]) => element(name, value ?? '')),
    '</AssumeRoleWithSAMLResult>',
    `<ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata>`,
    '</AssumeRoleWithSAMLResponse>',
  ].join('');
}

/** Random credentials, visibly local: they authenticate nothing in AWS. */
function localCredentials(): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const suffix = Array.from(
    randomBytes(20 - LOCAL_ACCESS_KEY_PREFIX.length),
    (byte) => alphabet[byte % 32],
  ).join('');
  return {
    accessKeyId: `${LOCAL_ACCESS_KEY_PREFIX}${suffix}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `${LOCAL_SESSION_TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`,
  };
}

/** The Query protocol's error document; the SDK raises the exception its model maps `Code` to. */
export function stsErrorResponse(error: AwsSamlError, requestId: string): string {
  return [
    `<ErrorResponse xmlns="${STS_NAMESPACE}">`,
    '<Error>',
    element('Type', 'Sender'),
    element('Code', error.code),
    element('Message', error.message),
    '</Error>',
    element('RequestId', requestId),
    '</ErrorResponse>',
  ].join('');
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

/** Escapes text for XML and HTML content and attribute values. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
