/**
 * Stax roles and the one table of who may call which operation (ARCHITECTURE §4).
 *
 * Admin: everything. User: read users, groups, tokens, account types and accounts, and
 * edit their own profile. Read Only and Cost & Compliance Admin: read. API token roles
 * behave as the user role of the same level. Nobody grants a role above their own.
 */
export const USER_ROLES = [
  'customer_admin',
  'customer_user',
  'customer_readonly',
  'customer_costadmin',
] as const;
export const API_ROLES = ['api_admin', 'api_user', 'api_readonly'] as const;

export type UserRole = (typeof USER_ROLES)[number];
export type ApiRole = (typeof API_ROLES)[number];
export type StaxRole = UserRole | ApiRole;

/** The privilege level a role stands for; roles of one level are equal, whatever kind of caller holds them. */
export type Level = 'admin' | 'user' | 'readonly';

const LEVEL: Readonly<Record<StaxRole, Level>> = {
  customer_admin: 'admin',
  api_admin: 'admin',
  customer_user: 'user',
  api_user: 'user',
  customer_readonly: 'readonly',
  customer_costadmin: 'readonly',
  api_readonly: 'readonly',
};

const RANK: Readonly<Record<Level, number>> = { readonly: 0, user: 1, admin: 2 };

export function levelOf(role: StaxRole): Level {
  return LEVEL[role];
}

/** Whether `role` is at `minimum` level or above. */
export function hasLevel(role: StaxRole, minimum: Level): boolean {
  return RANK[LEVEL[role]] >= RANK[minimum];
}

/** Whether a caller holding `callerRole` may hand out `grantedRole` (to a user or a token). */
export function mayGrant(callerRole: StaxRole, grantedRole: StaxRole): boolean {
  return hasLevel(callerRole, LEVEL[grantedRole]);
}

export function isUserRole(value: string): value is UserRole {
  return (USER_ROLES as readonly string[]).includes(value);
}

export function isApiRole(value: string): value is ApiRole {
  return (API_ROLES as readonly string[]).includes(value);
}

export function isStaxRole(value: string): value is StaxRole {
  return isUserRole(value) || isApiRole(value);
}
