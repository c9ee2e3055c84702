import { SamlCertificateUnavailableError } from '@/lambdas/saml/certificate-store';
import { idpMetadataXml } from '@/lambdas/saml/metadata';
import { publicHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import { type SamlMetadataDeps, samlMetadataDepsFromEnv } from '@/lambdas/signin/deps';

/** How long browsers and member-account tooling may keep the metadata: a rotated certificate shows within 5 minutes. */
export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/**
 * saml.ReadMetadata: GET /saml/metadata.xml, public. The IdP metadata every member
 * account's `staxid` SAML provider trusts: the entity id and the signing certificates
 * (the current one first, the next one during a rotation). The function cannot sign: the
 * certificates are made at deploy time; until they exist (or while they do not match the
 * key) it answers 503, never a document AWS would trust wrongly.
 */
export function samlMetadataHandler(deps: () => SamlMetadataDeps = once(() => samlMetadataDepsFromEnv())) {
  return publicHandler(async () => {
    const { entityId, certificates, signInUrl } = deps();
    let published: readonly string[];
    try {
      published = await certificates.certificates();
    } catch (error) {
      if (!(error instanceof SamlCertificateUnavailableError)) throw error;
      return { status: 503, headers: { 'Cache-Control': 'no-store' }, body: { Error: error.message } };
    }
    return {
      contentType: 'application/samlmetadata+xml',
      headers: { 'Cache-Control': METADATA_CACHE_CONTROL },
      body: idpMetadataXml({ entityId, certificates: published, signInUrl }),
    };
  });
}

export const handler = samlMetadataHandler();
