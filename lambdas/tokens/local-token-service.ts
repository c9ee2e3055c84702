import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createLocalAuthorizer, type LocalAuthorizerDecision } from '@/lambdas/auth/authenticate';
import { AUTHORIZER_ENV } from '@/lambdas/auth/authorizer-env';
import {
  cognitoAccessTokenIssuer,
  jwksFromSigner,
  staxidAccessTokenIssuer,
  type TrustedIssuer,
} from '@/lambdas/auth/verify-token';
import {
  LOCAL_KEYS_DIR_ENV,
  TOKEN_HASH_KEY_ENV,
  TOKEN_ISSUER_ENV,
  TOKEN_SIGNING_KEY_ENV,
} from '@/lambdas/shared/constants';
import { createDb, systemClock } from '@/lambdas/shared/db';
import { localSecretHasher } from '@/lambdas/shared/secrets';
import { LocalTokenSigner } from '@/lambdas/shared/signing';
import type { BootstrapResult } from '@/lambdas/tokens/bootstrap';

/**
 * The token side of `npm start` (local/service.ts): local keys standing in for the two KMS
 * keys, the authorizer hook of the local API Gateway (the same verification and caller
 * resolution as the Lambda authorizer, with no decision cache), and the bootstrap token.
 *
 * The audit and token modules are loaded in `start()`, once the handler environment is
 * applied: lambdas/shared/service-info.ts reads `STAXID_VERSION` when it is first imported.
 */

/** `AUDIT_ENV.directory` of lambdas/shared/audit.ts (not imported here: see above; a test pins it). */
export const LOCAL_AUDIT_DIR_ENV = 'STAXID_AUDIT_DIR';

export interface LocalTokenServiceOptions {
  /** `STAXID_HOME`: keys under `keys/`, audit events under `audit/`, `bootstrap-token.json`. */
  readonly home: string;
  readonly tableName: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly log: (message: string) => void;
}

export interface LocalTokenService {
  /** What the handlers need in their environment: local keys instead of KMS, the audit directory. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The local API Gateway's authorizer hook; refuses everything until `start`. */
  readonly authorize: (event: APIGatewayProxyEvent) => Promise<LocalAuthorizerDecision>;
  /** The issuer URL's environment, once the API listens at `apiUrl`. */
  issuerEnvironment(apiUrl: string): Readonly<Record<string, string>>;
  /** Trusts tokens issued at `apiUrl`; on empty state creates the bootstrap token and says where it is. */
  start(apiUrl: string): Promise<BootstrapResult>;
  close(): void;
}

export function localTokenService(options: LocalTokenServiceOptions): LocalTokenService {
  const keysDirectory = join(options.home, 'keys');
  const auditDirectory = join(options.home, 'audit');
  const client = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint,
    region: options.region,
    credentials: options.credentials,
  });
  const db = createDb(options.tableName, client);
  const signer = LocalTokenSigner.fromDirectory(keysDirectory);
  const staxidKeys = jwksFromSigner(signer);
  let issuerUrl: string | undefined;

  // cognito-local is trusted once the local runtime has put its issuer in the environment.
  let cached: { readonly key: string; readonly issuers: readonly TrustedIssuer[] } | undefined;
  const issuers = (): readonly TrustedIssuer[] => {
    const cognitoIssuer = process.env[AUTHORIZER_ENV.cognitoIssuer];
    const cognitoClientId = process.env[AUTHORIZER_ENV.cognitoClientId];
    const key = JSON.stringify([issuerUrl, cognitoIssuer, cognitoClientId]);
    if (cached?.key !== key) {
      const list: TrustedIssuer[] = [];
      if (issuerUrl) list.push(staxidAccessTokenIssuer({ issuer: issuerUrl, keys: staxidKeys }));
      if (cognitoIssuer && cognitoClientId) {
        list.push(cognitoAccessTokenIssuer({ issuer: cognitoIssuer, clientId: cognitoClientId }));
      }
      cached = { key, issuers: list };
    }
    return cached.issuers;
  };

  return {
    environment: {
      [LOCAL_KEYS_DIR_ENV]: keysDirectory,
      [LOCAL_AUDIT_DIR_ENV]: auditDirectory,
      // Never the user's KMS keys: local mode signs and hashes with the files under keys/.
      [TOKEN_SIGNING_KEY_ENV]: undefined,
      [TOKEN_HASH_KEY_ENV]: undefined,
    },
    authorize: createLocalAuthorizer({
      issuers,
      db: () => db,
      logRejection: ({ reason, detail }) => options.log(`bearer token rejected: ${reason} (${detail})`),
    }),
    issuerEnvironment: (apiUrl) => ({ [TOKEN_ISSUER_ENV]: apiUrl }),
    start: async (apiUrl) => {
      issuerUrl = apiUrl;
      const [{ FileAuditSink }, { ApiTokenService }, { ensureBootstrapToken }] = await Promise.all([
        import('@/lambdas/shared/audit'),
        import('@/lambdas/tokens/api-tokens'),
        import('@/lambdas/tokens/bootstrap'),
      ]);
      const tokens = new ApiTokenService({
        db,
        clock: systemClock,
        audit: new FileAuditSink(auditDirectory),
        hasher: localSecretHasher(keysDirectory),
      });
      const result = await ensureBootstrapToken(tokens, options.home);
      if (result.created) {
        options.log(
          `Bootstrap API token (api_admin) written to ${result.file}: exchange it at ${apiUrl}/oauth2/token`,
        );
      } else if (existsSync(result.file)) {
        options.log(`API tokens exist; the bootstrap token's credentials are in ${result.file}`);
      }
      return result;
    },
    close: () => client.destroy(),
  };
}
