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
  /** A Stax role sent by the IdP (`StaxRole` by default); wins over groups. */
  role: 'custom:stax_role',
  /** The user's IdP groups, as Cognito stores a multi-valued attribute. */
  groups: 'custom:idp_groups',
} as const;

/** Environment variable of the sign-in trigger: the role mapping, JSON (`FederationRoles`). */
export const FEDERATION_ROLES_ENV = 'STAXID_FEDERATION_ROLES';

/** How a federated user's Stax role is chosen: their IdP groups' roles, else the default. */
export interface FederationRoles {
  /** IdP group name → Stax role. */
  readonly groups: Readonly<Record<string, UserRole>>;
  readonly defaultRole: UserRole;
}

export const NO_FEDERATION_ROLES: FederationRoles = { groups: {}, defaultRole: 'customer_readonly' };

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
  };
}

/** The stronger of two roles; at equal level the first. */
function higher(a: UserRole, b: UserRole): UserRole {
  return hasLevel(a, levelOf(b)) ? a : b;
}

/**
 * The Stax role of a federated user: a valid `StaxRole` attribute; else the highest role
 * the mapping gives any of their groups; else the default.
 */
export function federatedRole(identity: FederatedIdentity, roles: FederationRoles): UserRole {
  const claimed = identity.roleAttribute;
  if (claimed !== undefined && isUserRole(claimed)) return claimed;
  const mapped = identity.groups.flatMap((group) => {
    const role = roles.groups[group];
    return role === undefined ? [] : [role];
  });
  const [first, ...rest] = mapped;
  return first === undefined ? roles.defaultRole : rest.reduce(higher, first);
}

/** The role mapping from `STAXID_FEDERATION_ROLES`; no mapping (everyone the default) when unset. */
export function federationRolesFromEnv(env: NodeJS.ProcessEnv = process.env): FederationRoles {
  const raw = env[FEDERATION_ROLES_ENV];
  if (raw === undefined || raw === '') return NO_FEDERATION_ROLES;
  const parsed = JSON.parse(raw) as { groups?: unknown; defaultRole?: unknown };
  const groups: Record<string, UserRole> = {};
  for (const [group, role] of Object.entries((parsed.groups ?? {}) as Record<string, unknown>)) {
    if (typeof role !== 'string' || !isUserRole(role)) {
      throw new Error(`${FEDERATION_ROLES_ENV}: group "${group}" maps to "${String(role)}", not a user role`);
    }
    groups[group] = role;
  }
  const defaultRole = parsed.defaultRole;
  if (typeof defaultRole !== 'string' || !isUserRole(defaultRole)) {
    throw new Error(`${FEDERATION_ROLES_ENV}: defaultRole "${String(defaultRole)}" is not a user role`);
  }
  return { groups, defaultRole };
}
