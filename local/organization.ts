/**
 * The simulated AWS Organization of `npm start` (ARCHITECTURE §5): DiscoverAccounts reads it
 * instead of calling AWS Organizations.
 *
 * - With `$STAXID_HOME/organization.json` present, that file (see SimulatedOrganizationDescription
 *   in lambdas/shared/organization.ts for its format). It is checked at start (a bad file stops
 *   the start with a message naming the field) and read again at every discovery, so edits to
 *   its accounts apply at the next DiscoverAccounts; its special account ids apply at the next start.
 * - Otherwise DEFAULT_LOCAL_ORGANIZATION: management, security, logging and three member accounts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT_ROLE_ENV, ORGANIZATION_ENV } from '@/lambdas/shared/constants';
import { ORGANISATION_ID_ENV, organisationIdFor } from '@/lambdas/shared/ids';
import {
  parseSimulatedOrganization,
  type SimulatedOrganizationDescription,
} from '@/lambdas/shared/organization';

/** The file under `$STAXID_HOME` that replaces the default organization. */
export const ORGANIZATION_FILE = 'organization.json';

export const DEFAULT_LOCAL_ORGANIZATION: SimulatedOrganizationDescription = {
  OrganizationId: 'o-staxidlocal0',
  ManagementAccountId: '100000000001',
  SecurityAccountId: '100000000002',
  LoggingAccountId: '100000000003',
  Accounts: [
    { Id: '100000000001', Name: 'management', Email: 'aws+management@example.com', State: 'ACTIVE' },
    { Id: '100000000002', Name: 'security', Email: 'aws+security@example.com', State: 'ACTIVE' },
    { Id: '100000000003', Name: 'logging', Email: 'aws+logging@example.com', State: 'ACTIVE' },
    { Id: '100000000004', Name: 'workload-dev', Email: 'aws+workload-dev@example.com', State: 'ACTIVE' },
    { Id: '100000000005', Name: 'workload-test', Email: 'aws+workload-test@example.com', State: 'ACTIVE' },
    { Id: '100000000006', Name: 'workload-prod', Email: 'aws+workload-prod@example.com', State: 'ACTIVE' },
  ],
};

export interface LocalOrganization {
  readonly description: SimulatedOrganizationDescription;
  /** The organization.json in use, if any. */
  readonly file?: string;
}

/** The organization of this home: its organization.json (checked), else the default one. */
export function localOrganization(home: string): LocalOrganization {
  const file = join(home, ORGANIZATION_FILE);
  if (!existsSync(file)) return { description: DEFAULT_LOCAL_ORGANIZATION };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix or remove it`,
    );
  }
  return { description: parseSimulatedOrganization(value, file), file };
}

/**
 * The environment the handlers need for the simulated organization: where to read it, the
 * special account ids (AccountRole) and the installation's OrganisationId.
 */
export function localOrganizationEnvironment(home: string): Record<string, string | undefined> {
  const { description, file } = localOrganization(home);
  return {
    // One of the two, and never the role of AWS: nothing local may reach AWS Organizations.
    [ORGANIZATION_ENV.simulatedFile]: file,
    [ORGANIZATION_ENV.simulatedJson]: file ? undefined : JSON.stringify(description),
    [ORGANIZATION_ENV.roleArn]: undefined,
    [ACCOUNT_ROLE_ENV.management]: description.ManagementAccountId,
    [ACCOUNT_ROLE_ENV.security]: description.SecurityAccountId,
    [ACCOUNT_ROLE_ENV.logging]: description.LoggingAccountId,
    [ORGANISATION_ID_ENV]: organisationIdFor(description.OrganizationId),
  };
}
