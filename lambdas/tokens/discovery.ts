/**
 * The discovery documents of staxid's token service: where the token endpoint and the
 * signing keys are, and what they support.
 */

/** `GET /.well-known/openid-configuration` */
export function openIdConfiguration(issuer: string) {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // No authorization endpoint: people sign in through Cognito, clients use client credentials.
    response_types_supported: [],
    subject_types_supported: ['public'],
    // The JWS algorithm of the access tokens; resource-server libraries read it from here.
    id_token_signing_alg_values_supported: ['ES256'],
    service_documentation: `${issuer}/openapi.json`,
  };
}

/** Discovery documents change only with a deployment or a key rotation: cacheable for a short while. */
export const DISCOVERY_CACHE_CONTROL = 'public, max-age=300';
