import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { issuerFromEnv } from '@/lambdas/auth/staxid-access-token';
import { AuditWriteError } from '@/lambdas/shared/audit';
import { outboxAuditSinkFromEnv } from '@/lambdas/shared/audit-outbox';
import { VIEWER_IP_HEADER } from '@/lambdas/shared/constants';
import { dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { json } from '@/lambdas/shared/http';
import { errorFields, type Logger, logger } from '@/lambdas/shared/logger';
import { signerFromEnv } from '@/lambdas/shared/signing';
import { header, publicEndpoint } from '@/lambdas/tokens/public-endpoint';
import { hasherFromEnv } from '@/lambdas/tokens/secret-hasher';
import { OAuthError, TokenExchange } from '@/lambdas/tokens/token-exchange';

/** `POST /oauth2/token`: client credentials for API tokens (RFC 6749 §4.4). */

/** RFC 6749 §5.1: token responses, successful or not, are never cached. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** The challenge sent with invalid_client (RFC 6749 §5.2, RFC 7617). */
export const BASIC_CHALLENGE = 'Basic realm="staxid", charset="UTF-8"';

/** Maps errors to RFC 6749 §5.2 responses; logs only the error code and the audit reason. */
export const oauthErrors = (log: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    const { error } = request;
    const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
    if (error instanceof OAuthError) {
      log.warn('token request refused', { requestId, error: error.error, reason: error.reason });
      request.response = json(
        error.status,
        { error: error.error, error_description: error.description },
        { ...NO_STORE, ...(error.status === 401 && { 'WWW-Authenticate': BASIC_CHALLENGE }) },
      );
      return;
    }
    if (error instanceof AuditWriteError) {
      log.error('audit write failed: no token issued', { requestId, ...errorFields(error.cause) });
      request.response = json(
        503,
        {
          error: 'temporarily_unavailable',
          error_description: `The exchange could not be audited, so no token was issued: try again later (request id ${requestId}).`,
        },
        { ...NO_STORE, 'Retry-After': '5' },
      );
      return;
    }
    log.error('unexpected error', { requestId, ...errorFields(error) });
    request.response = json(
      500,
      { error: 'server_error', error_description: `Internal error: quote request id ${requestId}.` },
      NO_STORE,
    );
  },
});

export function createTokenHandler(exchange: () => TokenExchange, log: Logger = logger) {
  return publicEndpoint(
    async (event) => {
      const body =
        event.body === null
          ? ''
          : event.isBase64Encoded
            ? Buffer.from(event.body, 'base64').toString('utf8')
            : event.body;
      const response = await exchange().handle(
        { authorization: header(event, 'authorization'), contentType: header(event, 'content-type'), body },
        {
          requestId: event.requestContext.requestId,
          sourceIp: event.requestContext.identity?.sourceIp,
          viewerIp: header(event, VIEWER_IP_HEADER),
          userAgent: header(event, 'user-agent'),
        },
      );
      return json(200, response, NO_STORE);
    },
    log,
    oauthErrors(log),
  );
}

/** The exchange as the deployed function builds it, from its environment, on first use. */
export function tokenExchangeFromEnv(env: NodeJS.ProcessEnv = process.env): TokenExchange {
  return new TokenExchange({
    db: dbFromEnv(env),
    clock: systemClock,
    audit: outboxAuditSinkFromEnv(env),
    hasher: hasherFromEnv(env),
    signer: signerFromEnv(env),
    issuer: issuerFromEnv(env),
  });
}

export const handler = createTokenHandler(() => tokenExchangeFromEnv());
