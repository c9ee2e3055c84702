import { createHash, randomUUID } from 'node:crypto';

/** A new random (v4) id for users, groups, account types, accounts, tasks, API tokens. */
export function newId(): string {
  return randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** staxid's own namespace for name-based (v5) ids. */
const STAXID_NAMESPACE = '5c6c5b7e-3f4a-4f0e-9a53-6b1f3f1d2c10';

/**
 * A name-based (RFC 9562 v5) id: the same name always gives the same id. The Stax
 * `OrganisationId`/`CustomerId` of an installation is derived this way from its AWS
 * Organizations id, so the stack, the Lambdas and local mode agree without storing it.
 */
export function nameBasedId(name: string, namespace: string = STAXID_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Environment variable holding the installation's Stax OrganisationId (set by the stack and local mode). */
export const ORGANISATION_ID_ENV = 'STAXID_ORGANISATION_ID';

export function organisationIdFor(awsOrganizationId: string): string {
  return nameBasedId(`organization:${awsOrganizationId}`);
}
