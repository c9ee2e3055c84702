import { element } from '@/lambdas/saml/canonical-xml';
import { SAML_NAMESPACES } from '@/lambdas/saml/response';

/**
 * The IdP metadata document that each member account's IAM SAML provider is created from
 * (`CreateSAMLProvider` / `UpdateSAMLProvider`). AWS takes from it the entity id (which must
 * equal every Response's Issuer) and the signing certificates; listing two certificates lets
 * a key rotation proceed without a moment in which either key's signatures are refused.
 */

const METADATA_NAMESPACE = 'urn:oasis:names:tc:SAML:2.0:metadata';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function signingKeyDescriptor(certificate: string): string {
  if (!BASE64.test(certificate)) {
    throw new RangeError('an IdP certificate must be base64 DER without line breaks or PEM armour');
  }
  return element('md:KeyDescriptor', { use: 'signing' }, [
    element('ds:KeyInfo', { 'xmlns:ds': SAML_NAMESPACES.xmldsig }, [
      element('ds:X509Data', {}, [element('ds:X509Certificate', {}, certificate)]),
    ]),
  ]);
}

/**
 * The metadata XML: one IDPSSODescriptor with a signing KeyDescriptor per certificate (the
 * active key's first), the persistent NameID format, and the staxid sign-in URL as the
 * single sign-on service.
 */
export function idpMetadataXml(input: {
  entityId: string;
  certificates: readonly string[];
  signInUrl: string;
}): string {
  if (input.certificates.length === 0) throw new RangeError('IdP metadata needs at least one certificate');
  return element('md:EntityDescriptor', { 'xmlns:md': METADATA_NAMESPACE, entityID: input.entityId }, [
    element(
      'md:IDPSSODescriptor',
      { WantAuthnRequestsSigned: 'false', protocolSupportEnumeration: SAML_NAMESPACES.protocol },
      [
        ...input.certificates.map(signingKeyDescriptor),
        element('md:NameIDFormat', {}, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'),
        element('md:SingleSignOnService', {
          Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
          Location: input.signInUrl,
        }),
      ],
    ),
  ]);
}
