import {
  FEDERATION_ROLES_ENV,
  type FederatedIdentity,
  type FederationRoles,
  federatedRole,
  federationRolesEnvValue,
  federationRolesFromEnv,
  NO_FEDERATION_ROLES,
  parseGroups,
  providerPolicy,
  signInIdentity,
  UNLISTED_PROVIDER_POLICY,
} from '@/lambdas/triggers/federation';
import { cognitoUsername, federatedAttributes, localAttributes, oidcUser, samlUser } from './cognito-events';

const ROLES: FederationRoles = {
  groups: { admins: 'customer_admin', devs: 'customer_user', finance: 'customer_costadmin' },
  defaultRole: 'customer_readonly',
  providers: {
    okta: { allowRoleAttribute: true, maxRole: 'customer_admin', linkScimUsers: true },
    partner: { allowRoleAttribute: false, maxRole: 'customer_readonly', linkScimUsers: false },
  },
};

function federated(overrides: Partial<FederatedIdentity> = {}): FederatedIdentity {
  return {
    kind: 'federated',
    username: 'Okta_abc',
    providerName: 'Okta',
    providerType: 'SAML',
    email: 'a@example.com',
    firstName: '',
    lastName: '',
    roleAttribute: undefined,
    groups: [],
    emailVerified: undefined,
    ...overrides,
  };
}

describe('signInIdentity', () => {
  test('a pool user (no identities attribute) is local: the username is the staxid id', () => {
    expect(signInIdentity('5b0e7c1a-2f3d-4e5f-8a6b-7c8d9e0f1a2b', localAttributes('a@example.com'))).toEqual({
      kind: 'local',
      userId: '5b0e7c1a-2f3d-4e5f-8a6b-7c8d9e0f1a2b',
    });
  });

  test('a SAML user: provider, email, names and groups from the mapped attributes', () => {
    const user = samlUser({ staxRole: 'customer_user' });
    expect(signInIdentity(cognitoUsername(user), federatedAttributes(user))).toEqual({
      kind: 'federated',
      username: 'AcmeSAML_ada@acme.example',
      providerName: 'AcmeSAML',
      providerType: 'SAML',
      email: 'ada@acme.example',
      firstName: 'Ada',
      lastName: 'Lovelace',
      roleAttribute: 'customer_user',
      groups: ['Everyone', 'staxid-admins'],
      emailVerified: undefined,
    });
  });

  test.each([
    ['true', true],
    ['False', false],
    ['yes', undefined],
    [undefined, undefined],
  ])("an OIDC user's email_verified %p reads as %p", (raw, verified) => {
    const user = oidcUser({ emailVerified: raw });
    expect(signInIdentity(cognitoUsername(user), federatedAttributes(user))).toMatchObject({
      emailVerified: verified,
    });
  });

  test('an OIDC user without names: empty names, groups from a JSON array', () => {
    const user = oidcUser({ givenName: undefined, familyName: undefined });
    expect(signInIdentity(cognitoUsername(user), federatedAttributes(user))).toMatchObject({
      kind: 'federated',
      providerType: 'OIDC',
      firstName: '',
      lastName: '',
      groups: ['staxid-users'],
    });
  });

  test('an unreadable identities attribute is treated as a local user', () => {
    expect(signInIdentity('x', { identities: 'not json' })).toEqual({ kind: 'local', userId: 'x' });
  });
});

describe('parseGroups', () => {
  test.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['["a","b c"]', ['a', 'b c']],
    ['[a, b c]', ['a', 'b c']],
    ['single', ['single']],
    ['[]', []],
  ])('%p → %p', (raw, groups) => {
    expect(parseGroups(raw)).toEqual(groups);
  });
});

describe('federatedRole', () => {
  test('a valid StaxRole attribute wins over the groups when the provider allows it', () => {
    expect(federatedRole(federated({ roleAttribute: 'customer_user', groups: ['admins'] }), ROLES)).toBe(
      'customer_user',
    );
  });

  test('an invalid StaxRole attribute is ignored (API roles are not user roles)', () => {
    expect(federatedRole(federated({ roleAttribute: 'api_admin', groups: ['devs'] }), ROLES)).toBe(
      'customer_user',
    );
  });

  test('the highest role of the mapped groups', () => {
    expect(federatedRole(federated({ groups: ['finance', 'devs', 'other'] }), ROLES)).toBe('customer_user');
    expect(federatedRole(federated({ groups: ['devs', 'admins'] }), ROLES)).toBe('customer_admin');
  });

  test('no mapped group: the default', () => {
    expect(federatedRole(federated({ groups: ['other'] }), ROLES)).toBe('customer_readonly');
  });

  test('a provider that may not send a role: its StaxRole attribute is ignored', () => {
    const claim = federated({ providerName: 'Partner', roleAttribute: 'customer_admin', groups: ['other'] });
    expect(federatedRole(claim, ROLES)).toBe('customer_readonly');
  });

  test('no provider confers more than its maxRole, whichever group it asserts', () => {
    expect(federatedRole(federated({ providerName: 'Partner', groups: ['admins', 'devs'] }), ROLES)).toBe(
      'customer_readonly',
    );
    // Same level as the ceiling: kept as it is.
    expect(federatedRole(federated({ providerName: 'PARTNER', groups: ['finance'] }), ROLES)).toBe(
      'customer_costadmin',
    );
  });

  test('a provider the mapping does not list: groups only, its StaxRole attribute ignored', () => {
    const claim = federated({ providerName: 'Other', roleAttribute: 'customer_admin', groups: ['devs'] });
    expect(federatedRole(claim, ROLES)).toBe('customer_user');
    expect(providerPolicy(ROLES, 'Other')).toBe(UNLISTED_PROVIDER_POLICY);
    expect(UNLISTED_PROVIDER_POLICY).toMatchObject({ allowRoleAttribute: false, linkScimUsers: false });
  });
});

describe('federationRolesFromEnv', () => {
  test('unset: nobody mapped, default customer_readonly', () => {
    expect(federationRolesFromEnv({})).toBe(NO_FEDERATION_ROLES);
  });

  test('reads the mapping the stack writes', () => {
    const value = federationRolesEnvValue({
      roleMapping: ROLES.groups,
      defaultRole: 'customer_readonly',
      providers: [
        { name: 'Okta', allowRoleAttribute: true, maxRole: 'customer_admin', linkScimUsers: true },
        { name: 'Partner', allowRoleAttribute: false, maxRole: 'customer_readonly', linkScimUsers: false },
      ],
    });
    expect(federationRolesFromEnv({ [FEDERATION_ROLES_ENV]: value })).toEqual(ROLES);
    expect(federationRolesFromEnv({ [FEDERATION_ROLES_ENV]: federationRolesEnvValue(undefined) })).toEqual(
      NO_FEDERATION_ROLES,
    );
  });

  test('still reads a mapping written before providers had policies: every provider unlisted', () => {
    const legacy = JSON.stringify({ groups: { admins: 'customer_admin' }, defaultRole: 'customer_user' });
    const roles = federationRolesFromEnv({ [FEDERATION_ROLES_ENV]: legacy });
    expect(roles).toEqual({
      groups: { admins: 'customer_admin' },
      defaultRole: 'customer_user',
      providers: {},
    });
    expect(providerPolicy(roles, 'Okta')).toBe(UNLISTED_PROVIDER_POLICY);
  });

  test('refuses a provider policy that is not complete', () => {
    const env = (policy: object) => ({
      [FEDERATION_ROLES_ENV]: JSON.stringify({
        groups: {},
        defaultRole: 'customer_user',
        providers: { Okta: policy },
      }),
    });
    expect(() =>
      federationRolesFromEnv(env({ allowRoleAttribute: false, maxRole: 'root', linkScimUsers: false })),
    ).toThrow('STAXID_FEDERATION_ROLES: provider "Okta" maxRole "root" is not a user role');
    expect(() => federationRolesFromEnv(env({ maxRole: 'customer_user', linkScimUsers: false }))).toThrow(
      'STAXID_FEDERATION_ROLES: provider "Okta" allowRoleAttribute must be true or false',
    );
  });

  test('refuses a role that is not a user role', () => {
    const env = {
      [FEDERATION_ROLES_ENV]: JSON.stringify({ groups: { a: 'root' }, defaultRole: 'customer_user' }),
    };
    expect(() => federationRolesFromEnv(env)).toThrow(
      'STAXID_FEDERATION_ROLES: group "a" maps to "root", not a user role',
    );
  });
});
