import { hasLevel, isUserRole, levelOf, type UserRole } from '@/lambdas/shared/roles';

/**
 * Who signs in, as the Cognito trigger events say it: a local user of the pool (whose
 * username is their staxid user id) or a federated user (SAML or OIDC), whose username
 * Cognito makes `<ProviderName>_<subject>` and whose attributes Cognito copies from the
 * IdP on every sign-in, through the attribute mapping of the provider (ADR 0016).
 */

/**
 * The user pool attributes the providers' attribute mappings fill besides email and names.
 * Only federated identities are read from them: Cognito overwrites them from the IdP at
 * every federated sign-in, while a local user could set them on themselves.
 */
export const FEDERATED_ATTRIBUTES = {
  /** A Stax role sent by the IdP, mapped and read only for providers that allow it; wins over groups. */
  role: 'custom:stax_role',
  /** The user's IdP groups, as Cognito stores a multi-valued attribute. */
  groups: 'custom:idp_groups',
  /** An OIDC provider's `email_verified` claim, `true` or `false` (Cognito's own `email_verified` is not the IdP's). */
  emailVerified: 'custom:idp_email_verified',
} as const;

/** Environment variable of the sign-in trigger: the role mapping, JSON (`FederationRoles`). */
export const FEDERATION_ROLES_ENV = 'STAXID_FEDERATION_ROLES';

/**
 * What one identity provider is trusted with (security review 2026-12-01): several IdPs
 * may be configured and not all are trusted alike, so none may claim more than it is given.
 */
export interface ProviderPolicy {
  /** Whether its `StaxRole` attribute is read; otherwise only groups and the default decide. */
  readonly allowRoleAttribute: boolean;
  /** The highest role it may confer, whatever the attribute, groups or default say. */
  readonly maxRole: UserRole;
  /** Whether its first sign-in may take over a SCIM-provisioned user with the same email. */
  readonly linkScimUsers: boolean;
}

/**
 * The policy of a provider the mapping does not list (a mapping written before providers had
 * policies): its role attribute unread, no SCIM user claimed, roles from the configured groups.
 */
export const UNLISTED_PROVIDER_POLICY: ProviderPolicy = {
  allowRoleAttribute: false,
  maxRole: 'customer_admin',
  linkScimUsers: false,
};

/** How a federated user's Stax role is chosen: their IdP groups' roles, else the default; capped per provider. */
export interface FederationRoles {
  /** IdP group name → Stax role. */
  readonly groups: Readonly<Record<string, UserRole>>;
  readonly defaultRole: UserRole;
  /** Lower-case provider name → its policy. */
  readonly providers: Readonly<Record<string, ProviderPolicy>>;
}

export const NO_FEDERATION_ROLES: FederationRoles = {
  groups: {},
  defaultRole: 'customer_readonly',
  providers: {},
};

/** The policy of a provider, by its name as Cognito reports it (names are unique ignoring case). */
export function providerPolicy(roles: FederationRoles, providerName: string): ProviderPolicy {
  return roles.providers[providerName.toLowerCase()] ?? UNLISTED_PROVIDER_POLICY;
}

export interface LocalIdentity {
  readonly kind: 'local';
  /** The Cognito username, which is the staxid user id. */
  readonly userId: string;
}

export interface FederatedIdentity {
  readonly kind: 'federated';
  /** `<ProviderName>_<subject>`, as Cognito names the user. */
  readonly username: string;
  readonly providerName: string;
  readonly providerType: string;
  readonly email: string | undefined;
  readonly firstName: string;
  readonly lastName: string;
  /** The role attribute as the IdP sent it (not yet checked). */
  readonly roleAttribute: string | undefined;
  readonly groups: readonly string[];
  /** The IdP's word on the email (OIDC `email_verified`); undefined when it said nothing (SAML). */
  readonly emailVerified: boolean | undefined;
}

export type SignInIdentity = LocalIdentity | FederatedIdentity;

interface CognitoIdentityEntry {
  readonly providerName?: unknown;
  readonly providerType?: unknown;
  readonly primary?: unknown;
}

/**
 * The first (primary) entry of Cognito's `identities` attribute, a JSON array that only
 * federated users have; undefined for local users or when it cannot be read.
 */
function linkedIdentity(attributes: Readonly<Record<string, string>>): CognitoIdentityEntry | undefined {
  const raw = attributes.identities;
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return undefined;
    const entries = parsed.filter(
      (entry): entry is CognitoIdentityEntry => typeof entry === 'object' && !!entry,
    );
    return entries.find((entry) => String(entry.primary) === 'true') ?? entries[0];
  } catch {
    return undefined;
  }
}

function attribute(attributes: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = attributes[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * IdP groups as Cognito stores them in a string attribute: a JSON array (OIDC claims), or
 * SAML's multi-valued form `[a, b]`, or a single value.
 */
export function parseGroups(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed.filter((group): group is string => typeof group === 'string');
  } catch {
    // Not JSON: SAML's bracketed list or a single group.
  }
  const unbracketed = raw.trim().replace(/^\[(.*)\]$/s, '$1');
  return unbracketed
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

/** Who signs in, from a trigger event's username and user attributes. */
export function signInIdentity(
  userName: string,
  attributes: Readonly<Record<string, string>>,
): SignInIdentity {
  const linked = linkedIdentity(attributes);
  if (!linked || typeof linked.providerName !== 'string') return { kind: 'local', userId: userName };
  return {
    kind: 'federated',
    username: userName,
    providerName: linked.providerName,
    providerType: typeof linked.providerType === 'string' ? linked.providerType : 'unknown',
    email: attribute(attributes, 'email'),
    firstName: attribute(attributes, 'given_name') ?? '',
    lastName: attribute(attributes, 'family_name') ?? '',
    roleAttribute: attribute(attributes, FEDERATED_ATTRIBUTES.role),
    groups: parseGroups(attributes[FEDERATED_ATTRIBUTES.groups]),
    emailVerified: parseVerified(attribute(attributes, FEDERATED_ATTRIBUTES.emailVerified)),
  };
}

/** `true`/`false` as Cognito stores a mapped boolean claim; anything else says nothing. */
function parseVerified(raw: string | undefined): boolean | undefined {
  const value = raw?.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** The stronger of two roles; at equal level the first. */
function higher(a: UserRole, b: UserRole): UserRole {
  return hasLevel(a, levelOf(b)) ? a : b;
}

/** `role`, or `ceiling` when `role` is of a higher level. */
function capped(role: UserRole, ceiling: UserRole): UserRole {
  return hasLevel(ceiling, levelOf(role)) ? role : ceiling;
}

/** The role the IdP's own data gives: the role attribute if allowed and valid, else groups, else default. */
function uncappedRole(identity: FederatedIdentity, roles: FederationRoles, policy: ProviderPolicy): UserRole {
  const claimed = identity.roleAttribute;
  if (policy.allowRoleAttribute && claimed !== undefined && isUserRole(claimed)) return claimed;
  const mapped = identity.groups.flatMap((group) => {
    const role = roles.groups[group];
    return role === undefined ? [] : [role];
  });
  const [first, ...rest] = mapped;
  return first === undefined ? roles.defaultRole : rest.reduce(higher, first);
}

/**
 * The Stax role of a federated user: a valid `StaxRole` attribute when their provider may
 * send one; else the highest role the mapping gives any of their groups; else the default;
 * never above their provider's `maxRole`.
 */
export function federatedRole(identity: FederatedIdentity, roles: FederationRoles): UserRole {
  const policy = providerPolicy(roles, identity.providerName);
  return capped(uncappedRole(identity, roles, policy), policy.maxRole);
}

/** The federation settings `federationRolesEnvValue` needs, as lib/config.ts resolves them. */
export interface FederationRolesSource {
  readonly roleMapping: Readonly<Record<string, UserRole>>;
  readonly defaultRole: UserRole;
  readonly providers: readonly (ProviderPolicy & { readonly name: string })[];
}

/** The value of `STAXID_FEDERATION_ROLES` for a federation configuration (none: no mapping). */
export function federationRolesEnvValue(federation: FederationRolesSource | undefined): string {
  const roles: FederationRoles = federation
    ? {
        groups: federation.roleMapping,
        defaultRole: federation.defaultRole,
        providers: Object.fromEntries(
          federation.providers.map((provider) => [
            provider.name.toLowerCase(),
            {
              allowRoleAttribute: provider.allowRoleAttribute,
              maxRole: provider.maxRole,
              linkScimUsers: provider.linkScimUsers,
            },
          ]),
        ),
      }
    : NO_FEDERATION_ROLES;
  return JSON.stringify(roles);
}

function userRoleOf(value: unknown, where: string): UserRole {
  if (typeof value !== 'string' || !isUserRole(value)) {
    throw new Error(`${FEDERATION_ROLES_ENV}: ${where} "${String(value)}" is not a user role`);
  }
  return value;
}

function booleanOf(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new Error(`${FEDERATION_ROLES_ENV}: ${where} must be true or false`);
  return value;
}

function parseProviderPolicies(raw: unknown): Record<string, ProviderPolicy> {
  const policies: Record<string, ProviderPolicy> = {};
  for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const policy = (value ?? {}) as Record<string, unknown>;
    policies[name.toLowerCase()] = {
      allowRoleAttribute: booleanOf(policy.allowRoleAttribute, `provider "${name}" allowRoleAttribute`),
      maxRole: userRoleOf(policy.maxRole, `provider "${name}" maxRole`),
      linkScimUsers: booleanOf(policy.linkScimUsers, `provider "${name}" linkScimUsers`),
    };
  }
  return policies;
}

/**
 * The role mapping from `STAXID_FEDERATION_ROLES`; no mapping (everyone the default) when
 * unset. A value without `providers` (written before providers had policies) still reads:
 * every provider then gets UNLISTED_PROVIDER_POLICY.
 */
export function federationRolesFromEnv(env: NodeJS.ProcessEnv = process.env): FederationRoles {
  const raw = env[FEDERATION_ROLES_ENV];
  if (raw === undefined || raw === '') return NO_FEDERATION_ROLES;
  const parsed = JSON.parse(raw) as { groups?: unknown; defaultRole?: unknown; providers?: unknown };
  const groups: Record<string, UserRole> = {};
  for (const [group, role] of Object.entries((parsed.groups ?? {}) as Record<string, unknown>)) {
    if (typeof role !== 'string' || !isUserRole(role)) {
      throw new Error(`${FEDERATION_ROLES_ENV}: group "${group}" maps to "${String(role)}", not a user role`);
    }
    groups[group] = role;
  }
  return {
    groups,
    defaultRole: userRoleOf(parsed.defaultRole, 'defaultRole'),
    providers: parseProviderPolicies(parsed.providers),
  };
}
