import { STSClient } from '@aws-sdk/client-sts';
import { entitlementsOf } from '@/lambdas/aws/entitlements';
import { type SamlCertificateSource, samlCertificatesFromEnv } from '@/lambdas/saml/certificate-store';
import { samlSignerFromEnv } from '@/lambdas/saml/signer';
import { auditSinkFromEnv } from '@/lambdas/shared/audit-bucket';
import { AWS_SAML_SIGNIN_URL, CONSOLE_URL_ENV, PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import { type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { requiredEnv } from '@/lambdas/shared/deps';
import { SIGNIN_ENV } from '@/lambdas/signin/env';
import type { SignInConfig, SignInDeps, SignInEntitlement } from '@/lambdas/signin/sign-in-service';

/**
 * The sign-in and metadata functions' dependencies, read from the environment on the first
 * request (see `once` in lambdas/shared/deps.ts); tests hand in their own.
 */
export const DEFAULT_BUILTIN_SESSION_SECONDS = 3600;

/** The partition of a region's ARNs: member accounts live in the partition staxid runs in. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function signInConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SignInConfig {
  return {
    entityId: requiredEnv(env, SIGNIN_ENV.entityId),
    destination: env[SIGNIN_ENV.destination] || AWS_SAML_SIGNIN_URL,
    partition: partitionOf(requiredEnv(env, 'AWS_REGION')),
    builtinSessionSeconds: sessionSeconds(env[SIGNIN_ENV.builtinSessionSeconds]),
  };
}

/** The built-in roles' MaxSessionDuration (IAM allows 1 to 12 hours): their sessions ask for all of it. */
function sessionSeconds(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_BUILTIN_SESSION_SECONDS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43_200) {
    throw new Error(
      `environment variable ${SIGNIN_ENV.builtinSessionSeconds} must be 3600 to 43200 seconds (got ${JSON.stringify(raw)})`,
    );
  }
  return seconds;
}

/**
 * An STS client that never looks for credentials: AssumeRoleWithSAML is authorized by the
 * assertion alone, and the sign-in function has no business holding AWS credentials for it.
 */
export function anonymousStsClient(env: NodeJS.ProcessEnv = process.env): STSClient {
  const endpoint = env[SIGNIN_ENV.stsEndpoint];
  return new STSClient({
    region: requiredEnv(env, 'AWS_REGION'),
    credentials: { accessKeyId: '', secretAccessKey: '' },
    ...(endpoint && { endpoint }),
  });
}

/**
 * Every (account, role) a user holds: built-in roles through groups and account types, and
 * approved support grants in their window (lambdas/aws/entitlements.ts), in two round trips.
 */
export function signInEntitlements(
  db: Db,
): (userId: string, now: Date) => Promise<readonly SignInEntitlement[]> {
  return (userId, now) => entitlementsOf(db, userId, now);
}

export function signInDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SignInDeps {
  const db = dbFromEnv(env);
  return {
    db,
    clock: systemClock,
    audit: auditSinkFromEnv(env),
    signer: samlSignerFromEnv(env),
    sts: anonymousStsClient(env),
    entitlements: signInEntitlements(db),
    config: signInConfigFromEnv(env),
  };
}

/** What the metadata route publishes: who the IdP is, its certificates, where people sign in. */
export interface SamlMetadataDeps {
  readonly entityId: string;
  /** Never a signer in AWS: the stored, verified certificates (lambdas/saml/certificate-store.ts). */
  readonly certificates: SamlCertificateSource;
  readonly signInUrl: string;
}

export function samlMetadataDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SamlMetadataDeps {
  return {
    entityId: requiredEnv(env, SIGNIN_ENV.entityId),
    certificates: samlCertificatesFromEnv(env),
    signInUrl: env[CONSOLE_URL_ENV] || requiredEnv(env, PUBLIC_CONFIG_ENV.apiUrl),
  };
}
