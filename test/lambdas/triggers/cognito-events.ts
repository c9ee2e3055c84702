import type { PostAuthenticationTriggerEvent, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { FEDERATED_ATTRIBUTES } from '@/lambdas/triggers/federation';

/**
 * Cognito trigger events as the user pool sends them (Cognito developer guide, "Post
 * authentication Lambda trigger" and "Pre token generation Lambda trigger", event V2_0),
 * for local users and for users of a SAML and an OIDC identity provider. A federated
 * user's username is `<ProviderName>_<subject>`; their `identities` attribute is a JSON
 * string; their mapped attributes are rewritten from the IdP at every sign-in.
 */

const COMMON = {
  version: '1',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEf123',
  callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '1example23456789abcdefghij' },
} as const;

export interface FederatedUser {
  readonly providerName: string;
  readonly providerType: 'SAML' | 'OIDC';
  /** The subject at the IdP: SAML NameID or OIDC `sub`. */
  readonly subject: string;
  readonly email?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly staxRole?: string;
  /** The groups attribute as Cognito stores it (SAML `[a, b]`, OIDC JSON array). */
  readonly groups?: string;
  /** The OIDC `email_verified` claim as Cognito stores it in the mapped custom attribute. */
  readonly emailVerified?: string;
}

/** A user of the SAML provider "AcmeSAML" (Okta), NameID = email, groups as SAML's multi-valued form. */
export function samlUser(overrides: Partial<FederatedUser> = {}): FederatedUser {
  return {
    providerName: 'AcmeSAML',
    providerType: 'SAML',
    subject: 'ada@acme.example',
    email: 'ada@acme.example',
    givenName: 'Ada',
    familyName: 'Lovelace',
    groups: '[Everyone, staxid-admins]',
    ...overrides,
  };
}

/** A user of the OIDC provider "EntraID", `sub` an opaque id, groups as a JSON array. */
export function oidcUser(overrides: Partial<FederatedUser> = {}): FederatedUser {
  return {
    providerName: 'EntraID',
    providerType: 'OIDC',
    subject: 'AAAAAAAAAAAAAAAAAAAAAKyz9hXk5cWg8b2Q1rT0pE',
    email: 'grace@acme.example',
    givenName: 'Grace',
    familyName: 'Hopper',
    groups: '["staxid-users"]',
    emailVerified: 'true',
    ...overrides,
  };
}

export function cognitoUsername(user: FederatedUser): string {
  return `${user.providerName}_${user.subject}`;
}

/** The user attributes Cognito passes for a federated user after it has applied the attribute mapping. */
export function federatedAttributes(user: FederatedUser): Record<string, string> {
  const identities = [
    {
      dateCreated: '1764547200000',
      userId: user.subject,
      providerName: user.providerName,
      providerType: user.providerType,
      issuer: user.providerType === 'SAML' ? 'http://www.okta.com/exk1a2b3c4d5' : null,
      primary: 'true',
    },
  ];
  return {
    sub: '0a1b2c3d-4e5f-4061-8273-849506172839',
    identities: JSON.stringify(identities),
    'cognito:user_status': 'EXTERNAL_PROVIDER',
    email_verified: 'false',
    ...(user.email !== undefined && { email: user.email }),
    ...(user.givenName !== undefined && { given_name: user.givenName }),
    ...(user.familyName !== undefined && { family_name: user.familyName }),
    ...(user.staxRole !== undefined && { [FEDERATED_ATTRIBUTES.role]: user.staxRole }),
    ...(user.groups !== undefined && { [FEDERATED_ATTRIBUTES.groups]: user.groups }),
    ...(user.emailVerified !== undefined && { [FEDERATED_ATTRIBUTES.emailVerified]: user.emailVerified }),
  };
}

/** PostAuthentication_Authentication for a federated user. */
export function federatedPostAuthentication(user: FederatedUser): PostAuthenticationTriggerEvent {
  return {
    ...COMMON,
    userName: cognitoUsername(user),
    triggerSource: 'PostAuthentication_Authentication',
    request: { userAttributes: federatedAttributes(user), newDeviceUsed: false },
    response: {},
  };
}

/** A V2_0 pre-token-generation event, as the hosted UI (federated) or an API sign-in (local) sends it. */
export function preTokenGeneration(
  userName: string,
  userAttributes: Record<string, string>,
  triggerSource: PreTokenGenerationV2TriggerEvent['triggerSource'] = 'TokenGeneration_HostedAuth',
): PreTokenGenerationV2TriggerEvent {
  return {
    ...COMMON,
    version: '2',
    userName,
    triggerSource,
    request: {
      userAttributes,
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: undefined },
      scopes: ['openid', 'email', 'profile'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  };
}

/** The user attributes Cognito passes for a local user of the pool. */
export function localAttributes(email: string): Record<string, string> {
  return {
    sub: '94f8a4e8-2071-70f1-e4b4-1c2b3d4e5f60',
    'cognito:user_status': 'CONFIRMED',
    email_verified: 'true',
    email,
  };
}
