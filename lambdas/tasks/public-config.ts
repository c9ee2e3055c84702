import { ACCOUNT_ROLE_ENV, PUBLIC_CONFIG_ENV } from '@/lambdas/shared/constants';
import { requiredEnv } from '@/lambdas/shared/deps';

/**
 * public.ReadConfig: what a client needs before it can authenticate. staxid fills the
 * spec's shape from its own configuration; parts that belong to Stax's hosted service
 * (AppSync, analytics, Segment, Sentry) are present, as the schema requires, but empty.
 *
 * | field                                   | value                                                    |
 * |-----------------------------------------|----------------------------------------------------------|
 * | Auth / ApiAuth / JumaAuth .userPoolId   | `STAXID_USER_POOL_ID`: the Cognito user pool             |
 * | ... .userPoolWebClientId                | `STAXID_USER_POOL_CLIENT_ID`: the console app client     |
 * | ... .region                             | `AWS_REGION`                                             |
 * | ... .identityPoolId                     | `STAXID_IDENTITY_POOL_ID`, else `""` (none is used)      |
 * | ... .mandatorySignIn                    | `true`                                                   |
 * | API.endpoints                           | `[{ name: "staxid", endpoint: STAXID_API_URL, region }]` |
 * | API.endpoints (second)                  | `{ name: "staxid-hosted-ui", endpoint: STAXID_HOSTED_UI_URL }` when set (`staxid login --browser`) |
 * | Juma.fullDomainName / domainName        | the host of `STAXID_API_URL`                             |
 * | Juma.stage, controlplaneRegion          | `"staxid"`, `AWS_REGION`                                 |
 * | Juma.masterAccountId                    | `STAXID_MANAGEMENT_ACCOUNT_ID` as a number, else 0       |
 * | AppSync, Segment, Sentry                | empty strings; Analytics.disable `true`; Features `[]`   |
 */

export interface PublicConfigSettings {
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly identityPoolId: string;
  readonly managementAccountId?: string;
  /** The Cognito hosted UI's base URL, for `staxid login --browser`. */
  readonly hostedUiUrl?: string;
}

export function publicConfigSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PublicConfigSettings {
  const managementAccountId = env[ACCOUNT_ROLE_ENV.management];
  const hostedUiUrl = env[PUBLIC_CONFIG_ENV.hostedUiUrl];
  return {
    apiUrl: requiredEnv(env, PUBLIC_CONFIG_ENV.apiUrl).replace(/\/+$/, ''),
    region: requiredEnv(env, 'AWS_REGION'),
    userPoolId: requiredEnv(env, PUBLIC_CONFIG_ENV.userPoolId),
    userPoolClientId: requiredEnv(env, PUBLIC_CONFIG_ENV.userPoolClientId),
    identityPoolId: env[PUBLIC_CONFIG_ENV.identityPoolId] ?? '',
    ...(managementAccountId && { managementAccountId }),
    ...(hostedUiUrl && { hostedUiUrl: hostedUiUrl.replace(/\/+$/, '') }),
  };
}

export function publicConfig(settings: PublicConfigSettings) {
  const auth = {
    identityPoolId: settings.identityPoolId,
    region: settings.region,
    userPoolId: settings.userPoolId,
    userPoolWebClientId: settings.userPoolClientId,
    mandatorySignIn: true,
  };
  let host = settings.apiUrl;
  try {
    host = new URL(settings.apiUrl).host;
  } catch {
    // Not a URL: report it as it is.
  }
  const empty = { region: settings.region, endpoint: '' };
  return {
    Auth: auth,
    ApiAuth: auth,
    JumaAuth: auth,
    // The Stax schema allows no new field in Auth; a second endpoint names the hosted UI, which
    // `staxid login --browser` (cli/browser-login.ts HOSTED_UI_ENDPOINT_NAME) reads.
    API: {
      endpoints: [
        { name: 'staxid', endpoint: settings.apiUrl, region: settings.region },
        ...(settings.hostedUiUrl
          ? [{ name: 'staxid-hosted-ui', endpoint: settings.hostedUiUrl, region: settings.region }]
          : []),
      ],
    },
    Analytics: { disable: true },
    AppSync: { core: empty, analytics: empty, region: settings.region, graphqlEndpoint: '' },
    Juma: {
      fullDomainName: host,
      domainName: host,
      stage: 'staxid',
      controlplaneRegion: settings.region,
      masterAccountId: settings.managementAccountId ? Number(settings.managementAccountId) : 0,
    },
    Segment: { key: '' },
    Sentry: { dsn: '', projectName: '' },
    Features: [],
  };
}
