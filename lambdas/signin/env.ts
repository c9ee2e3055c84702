/**
 * Environment variables of the sign-in and metadata functions, in a module of their own
 * so that the Identity stack and the local runtime can set them without bundling the
 * handlers' dependencies.
 */
export const SIGNIN_ENV = {
  /** The SAML IdP's entity id (the Issuer of every assertion), e.g. `<API URL>/saml/metadata.xml`. */
  entityId: 'STAXID_SAML_ENTITY_ID',
  /** Where assertions are posted. @default AWS_SAML_SIGNIN_URL; locally, the sign-in stand-in */
  destination: 'STAXID_AWS_SIGNIN_URL',
  /** Session length of built-in roles (their MaxSessionDuration), 3600 to 43200 seconds. @default 3600 */
  builtinSessionSeconds: 'STAXID_BUILTIN_SESSION_SECONDS',
  /** The STS endpoint. @default the regional endpoint; locally, the STS stand-in */
  stsEndpoint: 'STAXID_STS_ENDPOINT',
} as const;
