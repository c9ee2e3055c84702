import {
  FEDERATION_ROLES_ENV,
  type FederatedIdentity,
  type FederationRoles,
  federatedRole,
  federationRolesFromEnv,
  NO_FEDERATION_ROLES,
  parseGroups,
  signInIdentity,
} from '@/lambdas/triggers/federation';
import { cognitoUsername, federatedAttributes, localAttributes, oidcUser, samlUser } from './cognito-events';

const ROLES: FederationRoles = {
  groups: { admins: 'customer_admin', devs: 'customer_user', finance: 'customer_costadmin' },
  defaultRole: 'customer_readonly',
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
  test('a valid StaxRole attribute wins over the groups', () => {
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
});

describe('federationRolesFromEnv', () => {
  test('unset: nobody mapped, default customer_readonly', () => {
    expect(federationRolesFromEnv({})).toBe(NO_FEDERATION_ROLES);
  });

  test('reads the mapping the stack writes', () => {
    expect(federationRolesFromEnv({ [FEDERATION_ROLES_ENV]: JSON.stringify(ROLES) })).toEqual(ROLES);
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
