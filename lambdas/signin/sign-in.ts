import { apiHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { logger as defaultLogger, errorFields, type Logger } from '@/lambdas/shared/logger';
import { consoleSignInPage } from '@/lambdas/signin/console-page';
import { signInDepsFromEnv } from '@/lambdas/signin/deps';
import { parseSignInRequest, type SignInRequest } from '@/lambdas/signin/sign-in-request';
import { type SignInDeps, StsUnavailableError, signIn } from '@/lambdas/signin/sign-in-service';

/**
 * aws.SignIn: POST /20190206/aws/sign-in `{AccountId, RoleName, Mode}`. Console: an HTML
 * page that posts the SAML Response to AWS; credentials: the `credential_process` JSON.
 */
export function signInHandler(
  deps: () => SignInDeps = once(() => signInDepsFromEnv()),
  logger: Logger = defaultLogger,
) {
  return apiHandler<SignInRequest>(
    { operationId: 'aws.SignIn', parseBody: parseSignInRequest, logger },
    async (request) => {
      try {
        const result = await signIn(deps(), request.caller, request.body, request.requestId);
        if (result.mode === 'credentials') {
          return { body: result.credentials, headers: { 'Cache-Control': 'no-store' } };
        }
        const page = consoleSignInPage(result.destination, result.samlResponse);
        return { contentType: 'text/html; charset=utf-8', headers: page.headers, body: page.html };
      } catch (error) {
        if (!(error instanceof StsUnavailableError)) throw error;
        logger.error('STS failed: sign-in refused', {
          requestId: request.requestId,
          ...errorFields(error.cause),
        });
        return { status: 502, body: { Error: error.message } };
      }
    },
  );
}

export const handler = signInHandler();
