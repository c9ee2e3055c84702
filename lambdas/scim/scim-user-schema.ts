import { badRequest } from '@/lambdas/scim/scim-error';
import { attributeValue, isObject } from '@/lambdas/scim/scim-patch';
import { metaOf, SCHEMAS } from '@/lambdas/scim/scim-resource';
import { isUserRole, USER_ROLES, type UserRole } from '@/lambdas/shared/roles';
import {
  AUTH_ORIGIN,
  displayName,
  type Item,
  parseUserItem,
  type UserRecord,
} from '@/lambdas/users/user-model';

/**
 * SCIM Users ↔ staxid users. The mapping (docs/decisions/0015-scim.md):
 *
 * - `userName` is the user's Email and must be an email address (Okta's "Email" username
 *   format, Entra's userPrincipalName or mail); `name.givenName` / `name.familyName` are
 *   FirstName / LastName; `active` false is Status DISABLED; `roles[primary]` (else the
 *   first) is the Stax role, `customer_readonly` when none is sent.
 * - `externalId` is kept on the item (`ExternalId`, indexed on GSI2 for one-Query lookups).
 * - Other accepted attributes are kept as sent in `ScimProfile` and returned: displayName,
 *   nickName, title, userType, profileUrl, preferredLanguage, locale, timezone, the other
 *   name parts, emails, phoneNumbers, addresses and the enterprise extension (employeeNumber,
 *   costCenter, organization, division, department, manager). `password` is never stored;
 *   `groups` is read-only (change memberships through /Groups); anything else is ignored.
 */

type JsonObject = Record<string, unknown>;

/** The SCIM role of new users that name none: the least privilege. */
export const DEFAULT_SCIM_ROLE: UserRole = 'customer_readonly';

/** What a POST or PUT (or a patched resource) says about a user. */
export interface ScimUserInput {
  readonly userName: string;
  readonly externalId?: string;
  readonly active: boolean;
  readonly givenName: string;
  readonly familyName: string;
  readonly role?: UserRole;
  readonly profile: JsonObject;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL = 254;
const MAX_NAME = 128;
const MAX_TEXT = 1024;
const MAX_VALUES = 20;
const SIMPLE_ATTRIBUTES = [
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
] as const;
const NAME_PARTS = ['formatted', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const MULTI_VALUED: Readonly<Record<string, readonly string[]>> = {
  emails: ['value', 'type', 'display', 'primary'],
  phoneNumbers: ['value', 'type', 'display', 'primary'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
};
const ENTERPRISE_ATTRIBUTES = [
  'employeeNumber',
  'costCenter',
  'organization',
  'division',
  'department',
] as const;

/** The user a SCIM body describes; a bad attribute is a 400 `invalidValue` naming it. */
export function parseScimUser(body: unknown): ScimUserInput {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'The body must be a SCIM User object');
  const userName = attributeValue(body, 'userName');
  if (typeof userName !== 'string' || userName.length > MAX_EMAIL || !EMAIL.test(userName.trim())) {
    throw badRequest(
      'invalidValue',
      "userName must be the user's email address (in Okta set the username format to Email; in Entra map userPrincipalName or mail to userName)",
    );
  }
  const name = attributeValue(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) {
    throw badRequest(
      'invalidValue',
      'name must be an object such as {"givenName": "Ada", "familyName": "Lovelace"}',
    );
  }
  const externalId = optionalText(body, 'externalId', MAX_TEXT);
  const role = roleOf(attributeValue(body, 'roles'));
  return {
    userName: userName.trim(),
    ...(externalId !== undefined && externalId !== '' && { externalId }),
    active: activeOf(attributeValue(body, 'active')),
    givenName: isObject(name) ? (optionalText(name, 'givenName', MAX_NAME, 'name.') ?? '') : '',
    familyName: isObject(name) ? (optionalText(name, 'familyName', MAX_NAME, 'name.') ?? '') : '',
    ...(role !== undefined && { role }),
    profile: profileOf(body, isObject(name) ? name : undefined),
  };
}

/** `active` as a boolean; Entra sends `"True"`/`"False"` strings. Absent means active. */
function activeOf(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw badRequest('invalidValue', `active must be true or false (got ${JSON.stringify(value)})`);
}

function roleOf(value: unknown): UserRole | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw badRequest('invalidValue', 'roles must be an array of {"value": "<Stax role>"}');
  const entries = value.filter(isObject);
  if (entries.length === 0) return undefined;
  const chosen = entries.find((entry) => entry.primary === true || entry.primary === 'True') ?? entries[0];
  const role = chosen?.value;
  if (typeof role !== 'string' || !isUserRole(role)) {
    throw badRequest(
      'invalidValue',
      `roles value must be one of ${USER_ROLES.join(', ')} (got ${JSON.stringify(role)})`,
    );
  }
  return role;
}

function optionalText(object: JsonObject, name: string, max: number, prefix = ''): string | undefined {
  const value = attributeValue(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw badRequest('invalidValue', `${prefix}${name} must be a string of at most ${max} characters`);
  }
  return value;
}

/** The accepted attributes other than those mapped to user fields, as stored in `ScimProfile`. */
function profileOf(body: JsonObject, name: JsonObject | undefined): JsonObject {
  const profile: JsonObject = {};
  for (const attribute of SIMPLE_ATTRIBUTES) {
    const value = optionalText(body, attribute, MAX_TEXT);
    if (value !== undefined) profile[attribute] = value;
  }
  const nameParts: JsonObject = {};
  for (const part of NAME_PARTS) {
    const value = name && optionalText(name, part, MAX_TEXT, 'name.');
    if (value !== undefined) nameParts[part] = value;
  }
  if (Object.keys(nameParts).length > 0) profile.name = nameParts;
  for (const [attribute, fields] of Object.entries(MULTI_VALUED)) {
    const values = multiValued(attributeValue(body, attribute), attribute, fields);
    if (values !== undefined) profile[attribute] = values;
  }
  const enterprise = enterpriseOf(attributeValue(body, SCHEMAS.enterpriseUser));
  if (enterprise !== undefined) profile.enterprise = enterprise;
  return profile;
}

function multiValued(value: unknown, attribute: string, fields: readonly string[]): JsonObject[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_VALUES) {
    throw badRequest('invalidValue', `${attribute} must be an array of at most ${MAX_VALUES} objects`);
  }
  return value.map((entry, index) => {
    if (!isObject(entry)) throw badRequest('invalidValue', `${attribute}[${index}] must be an object`);
    const kept: JsonObject = {};
    for (const field of fields) {
      const fieldValue = attributeValue(entry, field);
      if (fieldValue === undefined || fieldValue === null) continue;
      if (field === 'primary')
        kept.primary = fieldValue === true || String(fieldValue).toLowerCase() === 'true';
      else kept[field] = checkedText(fieldValue, `${attribute}[${index}].${field}`);
    }
    return kept;
  });
}

function enterpriseOf(value: unknown): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest('invalidValue', `${SCHEMAS.enterpriseUser} must be an object`);
  const kept: JsonObject = {};
  for (const attribute of ENTERPRISE_ATTRIBUTES) {
    const text = optionalText(value, attribute, MAX_TEXT, `${SCHEMAS.enterpriseUser}:`);
    if (text !== undefined) kept[attribute] = text;
  }
  const manager = attributeValue(value, 'manager');
  // Entra sends the manager as its id alone; RFC 7643 as {"value": id}.
  if (typeof manager === 'string' && manager !== '')
    kept.manager = { value: checkedText(manager, 'manager') };
  else if (isObject(manager) && typeof attributeValue(manager, 'value') === 'string') {
    const displayName = attributeValue(manager, 'displayName');
    kept.manager = {
      value: checkedText(attributeValue(manager, 'value'), 'manager.value'),
      ...(typeof displayName === 'string' && {
        displayName: checkedText(displayName, 'manager.displayName'),
      }),
    };
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function checkedText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT) {
    throw badRequest('invalidValue', `${field} must be a string of at most ${MAX_TEXT} characters`);
  }
  return value;
}

/** The SCIM attributes a user item carries besides the user's own fields. */
export function scimItemAttributes(input: ScimUserInput): Item {
  return {
    ScimProfile: input.profile,
    ...(input.externalId !== undefined && {
      ExternalId: input.externalId,
      GSI2PK: externalIdIndexKey(input.externalId),
      GSI2SK: 'USER',
    }),
  };
}

/** GSI2 partition of a SCIM user's externalId: `externalId eq` is one Query. */
export function externalIdIndexKey(externalId: string): string {
  return `SCIMEXTERNALID#${externalId}`;
}

/** A SCIM user's representation. */
export function toScimUser(item: Item, user: UserRecord, baseUrl: string): JsonObject {
  const profile = isObject(item.ScimProfile) ? item.ScimProfile : {};
  const { name: nameParts, enterprise, emails, ...rest } = profile;
  return {
    schemas: [SCHEMAS.user, ...(isObject(enterprise) ? [SCHEMAS.enterpriseUser] : [])],
    id: user.Id,
    ...(typeof item.ExternalId === 'string' && { externalId: item.ExternalId }),
    userName: user.Email,
    name: { givenName: user.FirstName, familyName: user.LastName, ...(isObject(nameParts) && nameParts) },
    displayName: displayName(user),
    ...rest,
    emails: Array.isArray(emails) ? emails : [{ value: user.Email, type: 'work', primary: true }],
    active: user.Status !== 'DISABLED' && user.Status !== 'DELETED',
    roles: [{ value: user.Role, primary: true }],
    ...(isObject(enterprise) && { [SCHEMAS.enterpriseUser]: enterprise }),
    meta: metaOf({
      resourceType: 'User',
      created: user.CreatedTS,
      lastModified: user.ModifiedTS,
      location: `${baseUrl}/Users/${user.Id}`,
      version: user.Version,
    }),
  };
}

/** The user of an item that SCIM manages (AuthOrigin scim, not DELETED); undefined for any other. */
export function scimUserOf(item: Item | undefined): UserRecord | undefined {
  const user = parseUserItem(item);
  return user && user.AuthOrigin === AUTH_ORIGIN.scim && user.Status !== 'DELETED' ? user : undefined;
}
