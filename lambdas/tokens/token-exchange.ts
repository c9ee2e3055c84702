import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  ACCESS_TOKEN_TYP,
  accessTokenAudience,
  ROLE_CLAIM,
} from '@/lambdas/auth/staxid-access-token';
import { type AuditActor, type AuditSink, type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import type { Clock, Db } from '@/lambdas/shared/db';
import { isUuid, newId } from '@/lambdas/shared/ids';
import { ENTITY, entityKey } from '@/lambdas/shared/keys';
import { isApiRole } from '@/lambdas/shared/roles';
import { SECRET_KEY_LENGTH, type SecretHasher, secretMatches } from '@/lambdas/shared/secrets';
import { signJwt, type TokenSigner } from '@/lambdas/shared/signing';

/**
 * `POST /oauth2/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) for API
 * tokens. The client authenticates with its AccessKey and SecretKey, either in an
 * `Authorization: Basic` header (`client_secret_basic`) or in the form body
 * (`client_secret_post`), and gets an ES256 JWT access token valid for an hour.
 *
 * Every request is one audit event, success or failure. A success is audited before the
 * token is signed: without the event, no token.
 *
 * Timing: an unknown AccessKey, a deleted token and a wrong secret take the same path (one
 * GetItem, one keyed hash, one constant-time comparison), so response times do not tell
 * them apart.
 */

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/** An error response of the token endpoint (RFC 6749 §5.2). */
export class OAuthError extends Error {
  readonly code = 'OAuthError';

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** Why, for the audit trail only (never sent to the client). */
    readonly reason: string = error,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** invalid_client is a 401 (with `WWW-Authenticate`), everything else a 400. */
  get status(): 400 | 401 {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

/** The parts of the HTTP request the token endpoint reads. */
export interface TokenHttpRequest {
  readonly authorization?: string;
  readonly contentType?: string;
  /** The body as text (already base64-decoded). */
  readonly body: string;
}

/** Facts about the request for the audit trail. */
export interface TokenRequestContext {
  readonly requestId?: string;
  readonly sourceIp?: string;
  /** The viewer address the console distribution put in VIEWER_IP_HEADER: claimed, not proven. */
  readonly viewerIp?: string;
  readonly userAgent?: string;
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly method: ClientAuthMethod;
}

/** The successful response body (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

/** Largest token request body: a client_credentials request is a few hundred bytes. */
export const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;
const SINGLE_VALUED = ['grant_type', 'client_id', 'client_secret', 'scope'] as const;

/** Reads the grant and the client's credentials from the request; throws `OAuthError` when it is not a valid one. */
export function parseTokenRequest(request: TokenHttpRequest): ClientCredentials {
  if (request.contentType === undefined || !FORM_CONTENT_TYPE.test(request.contentType.trim())) {
    throw new OAuthError(
      'invalid_request',
      'The request body must be application/x-www-form-urlencoded (RFC 6749 §4.4.2).',
      'wrong_content_type',
    );
  }
  if (Buffer.byteLength(request.body, 'utf8') > MAX_TOKEN_REQUEST_BYTES) {
    throw new OAuthError(
      'invalid_request',
      `The request body is larger than ${MAX_TOKEN_REQUEST_BYTES} bytes.`,
      'body_too_large',
    );
  }
  const form = new URLSearchParams(request.body);
  for (const name of SINGLE_VALUED) {
    if (form.getAll(name).length > 1) {
      throw new OAuthError('invalid_request', `The parameter ${name} is repeated.`, 'repeated_parameter');
    }
  }
  const grantType = form.get('grant_type');
  if (grantType === null || grantType === '') {
    throw new OAuthError('invalid_request', 'The parameter grant_type is missing.', 'missing_grant_type');
  }
  if (grantType !== 'client_credentials') {
    throw new OAuthError(
      'unsupported_grant_type',
      'Only grant_type=client_credentials is supported.',
      'unsupported_grant_type',
    );
  }

  const basic = basicCredentials(request.authorization);
  const postedId = form.get('client_id');
  const postedSecret = form.get('client_secret');
  if (basic) {
    if (postedSecret !== null) {
      throw new OAuthError(
        'invalid_request',
        'Authenticate the client with one method only: the Authorization header or client_secret in the body.',
        'two_auth_methods',
      );
    }
    if (postedId !== null && postedId !== basic.clientId) {
      throw new OAuthError(
        'invalid_request',
        'client_id in the body differs from the Authorization header.',
        'client_id_mismatch',
      );
    }
    return basic;
  }
  if (postedSecret !== null) {
    if (postedId === null || postedId === '') {
      throw new OAuthError('invalid_request', 'The parameter client_id is missing.', 'missing_client_id');
    }
    return { clientId: postedId, clientSecret: postedSecret, method: 'client_secret_post' };
  }
  throw new OAuthError(
    'invalid_client',
    'Client authentication is required: send the AccessKey and SecretKey as HTTP Basic credentials, or as client_id and client_secret in the body.',
    'no_client_authentication',
  );
}

/**
 * `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1), or
 * undefined when the header is absent or of another scheme.
 */
export function basicCredentials(authorization: string | undefined): ClientCredentials | undefined {
  const match = /^Basic(?: +(.*))?$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const invalid = () =>
    new OAuthError(
      'invalid_client',
      'The Authorization header is not valid Basic credentials (base64 of AccessKey:SecretKey).',
      'malformed_basic',
    );
  const encoded = match[1]?.trim() ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw invalid();
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalid();
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
      method: 'client_secret_basic',
    };
  } catch {
    throw invalid();
  }
}

/** application/x-www-form-urlencoded decoding of one value (`+` is a space). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

export interface TokenExchangeDependencies {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditSink;
  readonly hasher: SecretHasher;
  readonly signer: TokenSigner;
  /** staxid's issuer URL (`iss`, and the audience). */
  readonly issuer: string;
}

/** A stored hash no secret matches: compared against when the token does not exist, so that path costs the same. */
const NO_SUCH_HASH = `v1.${'A'.repeat(43)}`;

const OPERATION = 'oauth2.Token';

export class TokenExchange {
  constructor(private readonly deps: TokenExchangeDependencies) {}

  /** Handles one token request: the response body, or an `OAuthError` (audited either way). */
  async handle(request: TokenHttpRequest, context: TokenRequestContext = {}): Promise<TokenResponse> {
    let credentials: ClientCredentials;
    try {
      credentials = parseTokenRequest(request);
    } catch (error) {
      if (error instanceof OAuthError) await this.auditFailure(error, undefined, context);
      throw error;
    }
    return this.exchange(credentials, context);
  }

  /** Authenticates the client and issues its access token. */
  async exchange(credentials: ClientCredentials, context: TokenRequestContext = {}): Promise<TokenResponse> {
    const { clientId, clientSecret } = credentials;
    const refused = (reason: string) =>
      new OAuthError(
        'invalid_client',
        'Client authentication failed: unknown AccessKey or wrong SecretKey.',
        reason,
      );

    // The shape of a genuine pair is public: anything else is refused without a lookup.
    if (!isUuid(clientId) || clientSecret.length !== SECRET_KEY_LENGTH) {
      const error = refused('malformed_credentials');
      await this.auditFailure(error, credentials, context);
      throw error;
    }
    const { db, hasher } = this.deps;
    const { Item: item } = await db.doc.send(
      new GetCommand({
        TableName: db.tableName,
        Key: entityKey(ENTITY.apiToken, clientId),
        ConsistentRead: true,
        ProjectionExpression: '#status, #role, SecretHash',
        ExpressionAttributeNames: { '#status': 'Status', '#role': 'Role' },
      }),
    );
    const stored = (item ?? {}) as { Status?: unknown; Role?: unknown; SecretHash?: unknown };
    const storedHash = typeof stored.SecretHash === 'string' ? stored.SecretHash : NO_SUCH_HASH;
    const matches = await secretMatches(hasher, clientSecret, storedHash);
    const role = typeof stored.Role === 'string' && isApiRole(stored.Role) ? stored.Role : undefined;
    const reason = !item
      ? 'unknown_client'
      : stored.Status !== 'ACTIVE'
        ? 'inactive_client'
        : !matches || storedHash === NO_SUCH_HASH
          ? 'wrong_secret'
          : role === undefined
            ? 'invalid_role'
            : undefined;
    if (reason !== undefined || role === undefined) {
      const error = refused(reason ?? 'invalid_role');
      await this.auditFailure(error, credentials, context);
      throw error;
    }

    const now = this.deps.clock.now();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + ACCESS_TOKEN_LIFETIME_SECONDS;
    const jti = newId();
    await this.deps.audit.write(
      auditEvent({
        type: OPERATION,
        actor: { type: 'token', id: clientId, role },
        targets: [{ type: 'api-token', id: clientId }],
        detail: {
          authMethod: credentials.method,
          jti,
          expiresAt: new Date(expiresAt * 1000).toISOString(),
          ...requestFacts(context),
        },
        requestId: context.requestId,
        time: now,
      }),
    );
    const { issuer } = this.deps;
    const accessToken = await signJwt(
      this.deps.signer,
      {
        iss: issuer,
        sub: clientId,
        aud: accessTokenAudience(issuer),
        client_id: clientId,
        token_use: 'access',
        [ROLE_CLAIM]: role,
        iat: issuedAt,
        exp: expiresAt,
        jti,
      },
      ACCESS_TOKEN_TYP,
    );
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_SECONDS };
  }

  private async auditFailure(
    error: OAuthError,
    credentials: ClientCredentials | undefined,
    context: TokenRequestContext,
  ): Promise<void> {
    const clientId = credentials && isUuid(credentials.clientId) ? credentials.clientId : undefined;
    const actor: AuditActor = { type: 'anonymous', id: clientId ?? 'unknown' };
    const targets: AuditTarget[] = clientId ? [{ type: 'api-token', id: clientId }] : [];
    await this.deps.audit.write(
      auditEvent({
        type: OPERATION,
        actor,
        targets,
        outcome: 'FAILURE',
        detail: {
          error: error.error,
          reason: error.reason,
          ...(credentials && { authMethod: credentials.method }),
          ...requestFacts(context),
        },
        requestId: context.requestId,
        time: this.deps.clock.now(),
      }),
    );
  }
}

function requestFacts(context: TokenRequestContext): Record<string, string> {
  return {
    ...(context.sourceIp && { sourceIp: context.sourceIp }),
    ...(context.viewerIp && { claimedViewerIp: context.viewerIp.slice(0, 64) }),
    ...(context.userAgent && { userAgent: context.userAgent.slice(0, 256) }),
  };
}
