import { publicHandler } from '@/lambdas/shared/api';
import { once } from '@/lambdas/shared/deps';
import {
  type PublicConfigSettings,
  publicConfig,
  publicConfigSettingsFromEnv,
} from '@/lambdas/tasks/public-config';

/** GET /20190206/public/config (public.ReadConfig): no caller needed. */
export function readConfigHandler(settings: () => PublicConfigSettings) {
  return publicHandler(async () => ({ body: publicConfig(settings()) }));
}

export const handler = readConfigHandler(once(() => publicConfigSettingsFromEnv()));
