import type { AccountReadDeps } from '@/lambdas/accounts/accounts';
import type { DiscoveryDeps } from '@/lambdas/accounts/discovery';
import { ACCOUNT_ROLE_ENV, CONSOLE_URL_ENV, PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import { readDepsFromEnv } from '@/lambdas/shared/deps';
import { organizationFromEnv } from '@/lambdas/shared/organization';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

/** ReadAccounts/ReadAccount: login URLs point into `STAXID_CONSOLE_URL`, else `STAXID_API_URL`. */
export function accountReadDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AccountReadDeps {
  const base = env[CONSOLE_URL_ENV] || env[PUBLIC_CONFIG_ENV.apiUrl];
  return { ...readDepsFromEnv(env), ...(base && { consoleUrl: base.replace(/\/+$/, '') }) };
}

/** DiscoverAccounts: the organization, and the ids of the management, security and logging accounts. */
export function discoveryDepsFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryDeps {
  const management = env[ACCOUNT_ROLE_ENV.management];
  const security = env[ACCOUNT_ROLE_ENV.security];
  const logging = env[ACCOUNT_ROLE_ENV.logging];
  return {
    ...serviceDepsFromEnv(env),
    organization: organizationFromEnv(env),
    accountRoles: {
      ...(management && { management }),
      ...(security && { security }),
      ...(logging && { logging }),
    },
  };
}
