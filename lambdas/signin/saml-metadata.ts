import { idpMetadataXml } from '@/lambdas/saml/metadata';
import { publicHandler } from '@/lambdas/shared/api';
import { type SamlMetadataDeps, samlMetadataDepsFromEnv } from '@/lambdas/signin/deps';
import { once } from '@/lambdas/tasks/deps';

/** How long browsers and member-account tooling may keep the metadata: a rotated certificate shows within 5 minutes. */
export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/**
 * saml.ReadMetadata: GET /saml/metadata.xml, public. The IdP metadata every member
 * account's `staxid` SAML provider trusts: the entity id and the signing certificates
 * (the current one first, the next one during a rotation).
 */
export function samlMetadataHandler(deps: () => SamlMetadataDeps = once(() => samlMetadataDepsFromEnv())) {
  return publicHandler(async () => {
    const { entityId, signer, signInUrl } = deps();
    return {
      contentType: 'application/samlmetadata+xml',
      headers: { 'Cache-Control': METADATA_CACHE_CONTROL },
      body: idpMetadataXml({ entityId, certificates: await signer.certificates(), signInUrl }),
    };
  });
}

export const handler = samlMetadataHandler();
