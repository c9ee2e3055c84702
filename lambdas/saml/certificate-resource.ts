import type { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { SAML_CERTIFICATES_KEY, storeSamlCertificates } from '@/lambdas/saml/certificate-store';
import { KmsSamlSigner } from '@/lambdas/saml/signer';
import { type Clock, type Db, dbFromEnv, systemClock } from '@/lambdas/shared/db';
import { once } from '@/lambdas/shared/deps';
import { logger as defaultLogger, errorFields, type Logger } from '@/lambdas/shared/logger';

/**
 * The Identity stack's `SamlCertificate` custom resource: at deploy time, before any member
 * account fetches the metadata, it has the SAML key(s) self-sign their certificates and stores
 * them (certificate-store.ts). It alone, besides AWS sign-in, holds `kms:Sign` on the SAML key,
 * and it is invoked only by CloudFormation, never from the internet (ADR 0011).
 */

/** What the resource is told: the SAML key ARN, and the next key's during a rotation. */
export interface SamlCertificateResourceProperties {
  readonly KeyId: string;
  readonly NextKeyId?: string;
}

export interface SamlCertificateResourceDeps {
  readonly db: Db;
  /** @default a KMS client of the function's region */
  readonly kms?: KMSClient;
  readonly clock: Clock;
  readonly logger: Logger;
}

type ResponseStatus = 'SUCCESS' | 'FAILED';

/**
 * Handles Create and Update by storing fresh certificates; Delete leaves the item (its
 * physical id never changes, so a delete is the stack's own, and the item is public data).
 * Always answers CloudFormation, so that a failure fails the deployment instead of hanging it.
 */
export function samlCertificateResourceHandler(
  deps: () => SamlCertificateResourceDeps = once(() => ({
    db: dbFromEnv(process.env),
    clock: systemClock,
    logger: defaultLogger,
  })),
) {
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    let status: ResponseStatus = 'SUCCESS';
    let reason: string | undefined;
    try {
      if (event.RequestType !== 'Delete') await storeCertificates(event.ResourceProperties, deps());
    } catch (error) {
      deps().logger.error('SAML certificate not stored', errorFields(error));
      status = 'FAILED';
      reason = error instanceof Error ? error.message : String(error);
    }
    await respond(event, status, reason);
  };
}

async function storeCertificates(properties: unknown, deps: SamlCertificateResourceDeps): Promise<void> {
  const { KeyId, NextKeyId } = (properties ?? {}) as Partial<
    Record<keyof SamlCertificateResourceProperties, unknown>
  >;
  if (typeof KeyId !== 'string' || KeyId === '') {
    throw new Error('KeyId: the SAML signing key ARN is required');
  }
  if (NextKeyId !== undefined && typeof NextKeyId !== 'string') {
    throw new Error('NextKeyId: must be the next SAML signing key ARN, or absent');
  }
  const signer = new KmsSamlSigner({ keyId: KeyId, nextKeyId: NextKeyId || undefined, kms: deps.kms });
  await storeSamlCertificates(deps.db, await signer.certificates(), deps.clock.now());
  deps.logger.info('SAML certificates stored', { keyId: KeyId, nextKeyId: NextKeyId });
}

/** PUTs the result to CloudFormation's pre-signed URL, as the cfn-response module does. */
async function respond(
  event: CloudFormationCustomResourceEvent,
  status: ResponseStatus,
  reason: string | undefined,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? 'see the function log',
    PhysicalResourceId: SAML_CERTIFICATES_KEY.PK,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    // The URL is pre-signed without a content type.
    headers: { 'content-type': '' },
    body,
  });
  if (!response.ok) throw new Error(`CloudFormation refused the response: HTTP ${response.status}`);
}

export const handler = samlCertificateResourceHandler();
