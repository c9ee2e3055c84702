import type { RouteDefinition } from '@/lambdas/routes';

/** The routes of AWS sign-in: the SAML IdP's metadata and the sign-in itself. */
export const SIGNIN_ROUTES: readonly RouteDefinition[] = [
  {
    operationId: 'aws.SignIn',
    method: 'POST',
    path: '/20190206/aws/sign-in',
    handler: 'lambdas/signin/sign-in.ts',
    auth: 'bearer',
    summary:
      'Sign in to a role you hold in a member AWS account: an auto-posting console page, or temporary credentials.',
    tag: 'AWS sign-in',
    grants: ['table:read', 'saml-key:sign', 'audit:write'],
  },
  {
    operationId: 'saml.ReadMetadata',
    method: 'GET',
    path: '/saml/metadata.xml',
    handler: 'lambdas/signin/saml-metadata.ts',
    auth: 'none',
    summary:
      "The SAML IdP metadata (entity id, signing certificates) member accounts' staxid provider trusts.",
    tag: 'AWS sign-in',
    // Public: it reads the certificates made at deploy time and never signs (ADR 0011).
    grants: ['saml-key:read'],
  },
];
