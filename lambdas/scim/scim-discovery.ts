import { MAX_RESULTS, SCHEMAS } from '@/lambdas/scim/scim-resource';

/**
 * The discovery documents (RFC 7644 §4, RFC 7643 §5-7), describing exactly what this
 * server does: PATCH and ETags yes; bulk, sort and password change no.
 */

const CORE = 'urn:ietf:params:scim:schemas:core:2.0';

/** GET /ServiceProviderConfig. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [`${CORE}:ServiceProviderConfig`],
    documentationUri: 'https://github.com/staxid/staxid/blob/main/docs/decisions/0015-scim.md',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'SCIM bearer token',
        description:
          'A SCIM token created by a staxid Admin (POST /20190206/scim-tokens), sent as "Authorization: Bearer <token>".',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

/** GET /ResourceTypes. */
export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: [`${CORE}:ResourceType`],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A staxid user (AuthOrigin scim); userName is the email address.',
      schema: SCHEMAS.user,
      schemaExtensions: [{ schema: SCHEMAS.enterpriseUser, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [`${CORE}:ResourceType`],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A staxid group of GroupType SCIM; members are users.',
      schema: SCHEMAS.group,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

/** An attribute definition (RFC 7643 §7). */
interface SchemaAttribute {
  readonly name: string;
  readonly type: string;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: string;
  readonly returned: string;
  readonly uniqueness: string;
  readonly subAttributes?: readonly SchemaAttribute[];
}

interface AttributeOptions {
  readonly required?: boolean;
  readonly multiValued?: boolean;
  readonly mutability?: 'readOnly' | 'readWrite' | 'immutable';
  readonly uniqueness?: 'none' | 'server';
  readonly caseExact?: boolean;
  readonly type?: 'string' | 'boolean' | 'complex' | 'reference';
  readonly subAttributes?: readonly SchemaAttribute[];
  readonly description: string;
}

function attribute(name: string, options: AttributeOptions): SchemaAttribute {
  return {
    name,
    type: options.type ?? 'string',
    multiValued: options.multiValued ?? false,
    description: options.description,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? 'readWrite',
    returned: 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.subAttributes && { subAttributes: options.subAttributes }),
  };
}

const text = (name: string, description: string) => attribute(name, { description });

const multiValuedParts = (what: string) => [
  text('value', `The ${what}.`),
  text('type', 'A label: work, home, other.'),
  text('display', 'A human-readable name.'),
  attribute('primary', { type: 'boolean', description: 'Whether this is the primary value.' }),
];

/** GET /Schemas: the attributes stored and returned; any other attribute sent is ignored. */
export function schemas(baseUrl: string) {
  const user = {
    id: SCHEMAS.user,
    name: 'User',
    description: 'A staxid user provisioned by SCIM. password is never stored; groups is read-only.',
    attributes: [
      attribute('userName', {
        required: true,
        uniqueness: 'server',
        description: "The user's email address: their staxid Email, unique among all staxid users.",
      }),
      attribute('externalId', { caseExact: true, description: "The identity provider's id of the user." }),
      attribute('name', {
        type: 'complex',
        description: 'givenName and familyName are the staxid FirstName and LastName.',
        subAttributes: [
          'givenName',
          'familyName',
          'formatted',
          'middleName',
          'honorificPrefix',
          'honorificSuffix',
        ].map((part) => text(part, `name.${part}`)),
      }),
      ...[
        'displayName',
        'nickName',
        'profileUrl',
        'title',
        'userType',
        'preferredLanguage',
        'locale',
        'timezone',
      ].map((name) => text(name, `Stored and returned as sent.`)),
      attribute('active', {
        type: 'boolean',
        description: 'false disables the user (Status DISABLED): their AWS sessions are revoked.',
      }),
      attribute('emails', {
        type: 'complex',
        multiValued: true,
        description: 'Stored as sent.',
        subAttributes: multiValuedParts('email address'),
      }),
      attribute('phoneNumbers', {
        type: 'complex',
        multiValued: true,
        description: 'Stored as sent.',
        subAttributes: multiValuedParts('phone number'),
      }),
      attribute('addresses', {
        type: 'complex',
        multiValued: true,
        description: 'Stored as sent.',
        subAttributes: [
          'formatted',
          'streetAddress',
          'locality',
          'region',
          'postalCode',
          'country',
          'type',
        ].map((part) => text(part, `addresses.${part}`)),
      }),
      attribute('roles', {
        type: 'complex',
        multiValued: true,
        description:
          'The primary (else first) value is the Stax role (customer_admin, customer_user, customer_readonly, customer_costadmin); customer_readonly when none is sent.',
        subAttributes: multiValuedParts('Stax role'),
      }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCHEMAS.user}` },
  };
  const enterprise = {
    id: SCHEMAS.enterpriseUser,
    name: 'EnterpriseUser',
    description: 'Stored and returned as sent.',
    attributes: [
      ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((name) =>
        text(name, 'Stored as sent.'),
      ),
      attribute('manager', {
        type: 'complex',
        description: "The manager's id in the identity provider (a string or {value}).",
        subAttributes: [text('value', "The manager's id."), text('displayName', "The manager's name.")],
      }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCHEMAS.enterpriseUser}` },
  };
  const group = {
    id: SCHEMAS.group,
    name: 'Group',
    description: 'A staxid group of GroupType SCIM.',
    attributes: [
      attribute('displayName', {
        required: true,
        uniqueness: 'server',
        description: 'The group Name: 3 to 64 characters, unique.',
      }),
      attribute('externalId', { caseExact: true, description: "The identity provider's id of the group." }),
      attribute('members', {
        type: 'complex',
        multiValued: true,
        description: 'Users, by id. At most 100 items change in one request.',
        subAttributes: [
          attribute('value', { mutability: 'immutable', description: 'The user id.' }),
          attribute('$ref', { type: 'reference', mutability: 'immutable', description: 'The user URI.' }),
          attribute('type', { mutability: 'immutable', description: 'Always User.' }),
        ],
      }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCHEMAS.group}` },
  };
  return [user, enterprise, group].map((schema) => ({ schemas: [`${CORE}:Schema`], ...schema }));
}
