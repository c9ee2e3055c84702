import { AssumeRoleWithSAMLCommand, type STSClient } from '@aws-sdk/client-sts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Entitlement } from '@/lambdas/aws/entitlements';
import { buildSignedSamlResponse, type SamlSignInAssertion } from '@/lambdas/saml/response';
import type { SamlSigner } from '@/lambdas/saml/signer';
import { type AuditSink, auditEvent } from '@/lambdas/shared/audit';
import { PERMISSION_SET_ROLE_PATH, roleArn, samlProviderArn } from '@/lambdas/shared/constants';
import type { Clock, Db } from '@/lambdas/shared/db';
import { ForbiddenError } from '@/lambdas/shared/errors';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import type { Caller } from '@/lambdas/shared/permissions';
import type { SignInRequest } from '@/lambdas/signin/sign-in-request';

/**
 * Signing a person in to a member AWS account (ARCHITECTURE §2 step 4). The caller must be
 * an ACTIVE user holding the (account, role) pair; then a SAML Response signed by the SAML
 * key either goes back for the browser to post to AWS (console) or is traded with STS for
 * temporary credentials (CLI). Every attempt, allowed or refused, is one `aws.SignIn`
 * audit event written to the bucket before anything is returned: no event, no sign-in.
 */

/** One (account, role) a user may sign in to, and where the right comes from (lambdas/aws/entitlements.ts). */
export type SignInEntitlement = Entitlement;

/** The installation's SAML settings, read once from the environment. */
export interface SignInConfig {
  /** The IdP's entity id: the Issuer of every assertion. */
  readonly entityId: string;
  /** The AWS SAML sign-in endpoint: Destination and Recipient of every assertion. */
  readonly destination: string;
  /** `aws`, `aws-cn` or `aws-us-gov`: the partition of the member accounts' ARNs. */
  readonly partition: string;
  /** Session length of built-in roles. */
  readonly builtinSessionSeconds: number;
}

export interface SignInDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The direct sink: the event is in the bucket before the response leaves. */
  readonly audit: AuditSink;
  readonly signer: SamlSigner;
  /** A client with no credentials of its own: AssumeRoleWithSAML is authorized by the assertion. */
  readonly sts: STSClient;
  /** Every (account, role) the user holds now. */
  readonly entitlements: (userId: string, now: Date) => Promise<readonly SignInEntitlement[]>;
  readonly config: SignInConfig;
}

/** The `credential_process` JSON the AWS CLI and SDKs read. */
export interface ProcessCredentials {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: string;
}

export type SignInResult =
  | { readonly mode: 'console'; readonly destination: string; readonly samlResponse: string }
  | { readonly mode: 'credentials'; readonly credentials: ProcessCredentials };

/** Why a sign-in was refused, as the audit event records it. */
export type RefusalReason =
  | 'token_caller'
  | 'user_not_active'
  | 'role_not_held'
  | 'assertion_failed'
  | 'sts_refused'
  | 'sts_unavailable';

/** STS could not be reached or failed on its side: the caller may try again (502). */
export class StsUnavailableError extends Error {
  readonly code = 'StsUnavailableError';

  constructor(cause: unknown) {
    super('AWS STS did not issue credentials because it failed or was busy: try again in a moment', {
      cause,
    });
    this.name = 'StsUnavailableError';
  }
}

interface Attempt {
  readonly caller: Caller;
  readonly request: SignInRequest;
  readonly requestId: string;
  readonly now: Date;
}

const NOT_HELD =
  'You do not hold this role in this AWS account: check AccountId and RoleName against GET /20190206/users/me/aws-roles, or ask an Admin for access';

/** Signs `caller` in to `request.roleName` in `request.accountId`, or refuses (403) — audited either way. */
export async function signIn(
  deps: SignInDeps,
  caller: Caller,
  request: SignInRequest,
  requestId: string,
): Promise<SignInResult> {
  const attempt: Attempt = { caller, request, requestId, now: deps.clock.now() };
  if (caller.kind !== 'user') {
    await refuse(deps, attempt, 'token_caller');
    throw new ForbiddenError('An API token cannot sign in to AWS accounts: sign in to staxid as a person');
  }
  // Both reads at once: one round trip's latency, whatever the user's status turns out to be.
  const [user, entitlements] = await Promise.all([
    readUser(deps.db, caller.id),
    deps.entitlements(caller.id, attempt.now),
  ]);
  if (user?.Status !== 'ACTIVE') {
    await refuse(deps, attempt, 'user_not_active');
    throw new ForbiddenError('Your user is not active: ask an Admin to re-activate it');
  }
  const entitlement = entitlements.find(
    (held) => held.awsAccountId === request.accountId && held.roleName === request.roleName,
  );
  if (!entitlement) {
    await refuse(deps, attempt, 'role_not_held');
    throw new ForbiddenError(NOT_HELD);
  }
  const assertion = signInAssertion(deps.config, caller, user.Email, entitlement, attempt.now);
  const samlResponse = await signedResponse(deps, attempt, entitlement, assertion);
  if (request.mode === 'console') {
    await record(deps, attempt, entitlement, 'SUCCESS');
    return { mode: 'console', destination: assertion.destination, samlResponse };
  }
  const credentials = await assumeRole(deps, attempt, entitlement, assertion, samlResponse);
  await record(deps, attempt, entitlement, 'SUCCESS');
  return { mode: 'credentials', credentials };
}

interface SignInUser {
  readonly Email: string;
  readonly Status: string;
}

async function readUser(db: Db, userId: string): Promise<SignInUser | undefined> {
  const { Item } = await db.doc.send(
    new GetCommand({
      TableName: db.tableName,
      Key: entityKey(ENTITY.user, userId),
      ConsistentRead: true,
      ProjectionExpression: 'Email, #status',
      ExpressionAttributeNames: { '#status': 'Status' },
    }),
  );
  return Item as SignInUser | undefined;
}

/** The base64 SAML Response; an assertion the SAML core refuses (a role's bad session length...) is audited too. */
async function signedResponse(
  deps: SignInDeps,
  attempt: Attempt,
  entitlement: SignInEntitlement,
  assertion: SamlSignInAssertion,
): Promise<string> {
  try {
    return Buffer.from(await buildSignedSamlResponse(assertion, deps.signer), 'utf8').toString('base64');
  } catch (error) {
    await record(deps, attempt, entitlement, 'FAILURE', { reason: 'assertion_failed' });
    throw error;
  }
}

/**
 * RoleSessionName: the email, as AWS allows it (2–64 of letters, digits and `_+=,.@-`); an
 * address with other characters keeps its shape with `_` in their place. SourceIdentity,
 * the user id, is what identifies the person.
 */
export function sessionNameFor(email: string): string {
  return email
    .replace(/[^\w+=,.@-]/g, '_')
    .slice(0, 64)
    .padEnd(2, '_');
}

/** The ARN of the role an entitlement names: permission-set roles live under staxid's IAM path. */
export function entitlementRoleArn(partition: string, entitlement: SignInEntitlement): string {
  const path = entitlement.source === 'permission-set' ? PERMISSION_SET_ROLE_PATH.slice(1) : '';
  return roleArn(partition, entitlement.awsAccountId, `${path}${entitlement.roleName}`);
}

function signInAssertion(
  config: SignInConfig,
  caller: Caller,
  email: string,
  entitlement: SignInEntitlement,
  now: Date,
): SamlSignInAssertion {
  return {
    issuer: config.entityId,
    destination: config.destination,
    roleArn: entitlementRoleArn(config.partition, entitlement),
    providerArn: samlProviderArn(config.partition, entitlement.awsAccountId),
    sessionName: sessionNameFor(email),
    sourceIdentity: caller.id,
    sessionDurationSeconds: entitlement.sessionDurationSeconds ?? config.builtinSessionSeconds,
    principalTags: {
      'staxid-user-id': caller.id,
      'staxid-role': caller.role,
      ...(entitlement.caseReference !== undefined && { 'staxid-support-case': entitlement.caseReference }),
    },
    now,
  };
}

/** Trades the SAML Response for credentials; a refusal or failure of STS is audited and mapped. */
async function assumeRole(
  deps: SignInDeps,
  attempt: Attempt,
  entitlement: SignInEntitlement,
  assertion: SamlSignInAssertion,
  samlResponse: string,
): Promise<ProcessCredentials> {
  try {
    const { Credentials } = await deps.sts.send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: assertion.roleArn,
        PrincipalArn: assertion.providerArn,
        SAMLAssertion: samlResponse,
        DurationSeconds: assertion.sessionDurationSeconds,
      }),
    );
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey || !SessionToken || !Expiration) {
      throw new Error('AssumeRoleWithSAML answered without credentials');
    }
    return { Version: 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration: Expiration.toISOString() };
  } catch (error) {
    const refused = isStsRefusal(error);
    await record(deps, attempt, entitlement, 'FAILURE', {
      reason: refused ? 'sts_refused' : 'sts_unavailable',
      stsError: errorName(error),
    });
    if (!refused) throw new StsUnavailableError(error);
    throw new ForbiddenError(
      `AWS refused the sign-in (${errorName(error)}): the role's trust policy or the account's staxid SAML provider does not accept it; ask an Admin to check the account's staxid roles`,
    );
  }
}

/** A client-side error other than throttling: AWS said no (AccessDenied, ExpiredToken, IDPRejectedClaim...). */
function isStsRefusal(error: unknown): boolean {
  const fault = (error as { $fault?: string } | undefined)?.$fault;
  return fault === 'client' && !/throttl|toomanyrequests|limitexceeded/i.test(errorName(error));
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

function refuse(deps: SignInDeps, attempt: Attempt, reason: RefusalReason): Promise<void> {
  return record(deps, attempt, undefined, 'FAILURE', { reason });
}

/** Writes the attempt's one audit event; a failed write throws AuditWriteError (503, nothing returned). */
async function record(
  deps: SignInDeps,
  attempt: Attempt,
  entitlement: SignInEntitlement | undefined,
  outcome: 'SUCCESS' | 'FAILURE',
  facts: { readonly reason?: RefusalReason; readonly stsError?: string } = {},
): Promise<void> {
  const { request } = attempt;
  await deps.audit.write(
    auditEvent({
      type: 'aws.SignIn',
      actor: attempt.caller,
      outcome,
      time: attempt.now,
      requestId: attempt.requestId,
      targets: [
        {
          type: 'account',
          id: request.accountId,
          ...(entitlement && { name: entitlement.accountName }),
        },
        { type: 'role', id: request.roleName },
      ],
      detail: {
        accountId: request.accountId,
        roleName: request.roleName,
        mode: request.mode,
        ...(entitlement && {
          source: entitlement.source,
          roleArn: entitlementRoleArn(deps.config.partition, entitlement),
          sessionDurationSeconds: entitlement.sessionDurationSeconds ?? deps.config.builtinSessionSeconds,
        }),
        ...(entitlement?.supportGrantId !== undefined && { supportGrantId: entitlement.supportGrantId }),
        ...(entitlement?.caseReference !== undefined && { caseReference: entitlement.caseReference }),
        ...facts,
      },
    }),
  );
}
