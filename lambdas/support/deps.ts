import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';
import { SUPPORT_GROUP_NAME_ENV } from '@/lambdas/support/env';
import type { SupportDeps } from '@/lambdas/support/support-access';

/** The support domain's dependencies from the function's environment. */
export function supportDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SupportDeps {
  const supportGroupName = env[SUPPORT_GROUP_NAME_ENV];
  return { ...serviceDepsFromEnv(env), ...(supportGroupName && { supportGroupName }) };
}
