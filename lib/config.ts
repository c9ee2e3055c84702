import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import { USER_ROLES } from '@/lambdas/shared/roles';

/**
 * staxid's deployment configuration: one typed, validated object read from the
 * `staxid` key of the CDK context (cdk.json, or `-c staxid=...`). Every stack takes
 * its settings from here and nowhere else.
 *
 * A missing or malformed value fails synth with a `ConfigError` whose message names
 * each bad key, says what it must be and shows an example.
 */

export const CONTEXT_KEY = 'staxid';

/** Raised when the configuration is missing or invalid; the message lists every problem. */
export class ConfigError extends Error {
  readonly code = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid staxid configuration (cdk.json context "${CONTEXT_KEY}"):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

const KNOWN_REGIONS: ReadonlySet<string> = new Set(RegionInfo.regions.map((region) => region.name));

interface FieldHelp {
  readonly what: string;
  readonly example: string;
}

/** What each field is and an example of it, so that every error message can show one. */
const FIELD_HELP = new WeakMap<z.ZodTypeAny, FieldHelp>();

function described<T extends z.ZodTypeAny>(schema: T, what: string, example: string): T {
  FIELD_HELP.set(schema, { what, example });
  return schema;
}

const accountId = (example: string) =>
  described(
    z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    'a 12-digit AWS account id',
    `"${example}"`,
  );

const region = described(
  z.string().refine((value) => KNOWN_REGIONS.has(value), 'must be an AWS region code'),
  'an AWS region code',
  '"eu-west-1"',
);

const organizationalUnitId = described(
  z.string().regex(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/, 'must be an organizational unit id'),
  'an organizational unit id',
  '"ou-ab12-cd34ef56"',
);

const organizationId = described(
  z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id'),
  'the AWS Organizations id',
  '"o-a1b2c3d4e5"',
);

const httpsUrl = described(
  z
    .string()
    .url('must be an absolute URL')
    .refine((value) => {
      const url = new URL(value);
      return url.protocol === 'https:' || url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    }, 'must use https (http only for localhost)'),
  'an https URL',
  '"https://staxid.example.com/callback"',
);

const webAppUrl = described(
  z
    .string()
    .url('must be an absolute URL')
    .refine((value) => new URL(value).protocol === 'https:', 'must use https'),
  'an https URL',
  '"https://tools.example.com/callback"',
);

const positiveInt = (what: string, example: number, min: number, max: number) =>
  described(
    z
      .number({ invalid_type_error: 'must be a whole number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
    `${what} (${min}..${max})`,
    String(example),
  );

/**
 * A Cognito identity provider name: it becomes the prefix of its users' Cognito usernames
 * (`<name>_<subject>`), so it holds no underscore; Cognito reserves its social providers' names.
 */
const providerName = described(
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9.-]{0,30}[A-Za-z0-9]$/,
      'must be 2..32 letters, digits, dots or hyphens (no underscore), starting and ending with a letter or digit',
    )
    .refine(
      (value) => !RESERVED_PROVIDER_NAMES.has(value.toLowerCase()),
      'must not be a name Cognito reserves (Cognito, Google, Facebook, LoginWithAmazon, SignInWithApple)',
    ),
  'the identity provider name people see on the hosted UI',
  '"Okta"',
);

const RESERVED_PROVIDER_NAMES: ReadonlySet<string> = new Set([
  'cognito',
  'google',
  'facebook',
  'loginwithamazon',
  'signinwithapple',
]);

const userRole = described(
  z.enum(USER_ROLES, { errorMap: () => ({ message: `must be one of ${USER_ROLES.join(', ')}` }) }),
  'a Stax user role',
  '"customer_readonly"',
);

const idpAttributeName = (what: string, example: string) =>
  described(z.string().min(1, 'must name an IdP attribute'), what, `"${example}"`);

/** Which IdP attribute (SAML attribute name or OIDC claim) carries each staxid user field. */
const attributeMapping = z
  .object({
    email: idpAttributeName("the IdP attribute holding the user's email", 'email').default('email'),
    givenName: idpAttributeName("the IdP attribute holding the user's first name", 'given_name').default(
      'given_name',
    ),
    familyName: idpAttributeName("the IdP attribute holding the user's last name", 'family_name').default(
      'family_name',
    ),
    role: idpAttributeName(
      'the IdP attribute holding a Stax role (wins over groups; read only with allowRoleAttribute)',
      'StaxRole',
    ).default('StaxRole'),
    groups: idpAttributeName("the IdP attribute holding the user's groups", 'groups').default('groups'),
  })
  .strict()
  .default({});

/**
 * What one identity provider is trusted with (ADR 0016, security review 2026-12-01): not every
 * configured IdP is trusted alike, so each says how high a role it may confer and whether it
 * may claim SCIM-provisioned users by email. `maxRole` and `linkScimUsers` are resolved in
 * `federation` (their defaults depend on how many providers there are).
 */
const providerTrust = {
  allowRoleAttribute: described(
    z.boolean(),
    "whether the IdP may set a user's Stax role through its role attribute (any IdP admin, or a user who can edit that attribute, could make someone customer_admin)",
    'false',
  ).default(false),
  maxRole: described(
    z.enum(USER_ROLES, { errorMap: () => ({ message: `must be one of ${USER_ROLES.join(', ')}` }) }),
    'the highest Stax role users of this IdP may get, whatever its groups or role attribute say (required when more than one IdP is configured; one IdP: customer_admin)',
    '"customer_user"',
  ).optional(),
  linkScimUsers: described(
    z.boolean(),
    'whether a first sign-in through this IdP may take over the SCIM-provisioned user with the same email (at most one IdP; one IdP: true, several: false)',
    'true',
  ).optional(),
};

const secretArn = described(
  z
    .string()
    .regex(
      /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
      'must be a Secrets Manager secret ARN',
    ),
  'the ARN of the Secrets Manager secret holding the OIDC client secret (a plain string)',
  '"arn:aws:secretsmanager:eu-west-1:222222222222:secret:staxid/okta-oidc-AbCdEf"',
);

const samlProvider = z
  .object({
    name: providerName,
    type: described(z.literal('SAML'), 'the provider protocol, "SAML" or "OIDC"', '"SAML"'),
    metadataUrl: described(
      httpsUrl.describe('SAML metadata URL'),
      "the URL of the IdP's SAML metadata",
      '"https://acme.okta.com/app/exk1/sso/saml/metadata"',
    ).optional(),
    metadataFile: described(
      z.string().min(1, 'must name a file'),
      "a file holding the IdP's SAML metadata, read at synth",
      '"config/okta-metadata.xml"',
    ).optional(),
    attributes: attributeMapping,
    ...providerTrust,
  })
  .strict();

const oidcProvider = z
  .object({
    name: providerName,
    type: described(z.literal('OIDC'), 'the provider protocol, "SAML" or "OIDC"', '"OIDC"'),
    issuer: described(
      httpsUrl.describe('OIDC issuer'),
      "the IdP's OIDC issuer URL",
      '"https://login.microsoftonline.com/<tenant>/v2.0"',
    ),
    clientId: described(
      z.string().min(1, 'must not be empty'),
      'the OIDC client id registered at the IdP',
      '"0oa1b2c3d4"',
    ),
    clientSecretArn: secretArn,
    scopes: described(
      z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an OAuth scope'))
        .refine((scopes) => scopes.includes('openid'), 'must include "openid"'),
      'the scopes requested from the IdP',
      '["openid", "email", "profile"]',
    ).default(['openid', 'email', 'profile']),
    attributes: attributeMapping,
    ...providerTrust,
  })
  .strict();

const identityProvider = z
  .discriminatedUnion('type', [samlProvider, oidcProvider])
  .superRefine((provider, ctx) => {
    if (provider.type !== 'SAML') return;
    if ((provider.metadataUrl === undefined) === (provider.metadataFile === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'must have exactly one of metadataUrl and metadataFile',
      });
    }
  });

/**
 * With several IdPs, each must say how high it may go (no silent customer_admin ceiling for a
 * second, less trusted IdP), and only one may claim SCIM users: the one SCIM provisions from.
 */
function checkProviderTrust(
  providers: readonly { name: string; maxRole?: string; linkScimUsers?: boolean }[],
  ctx: z.RefinementCtx,
) {
  if (providers.length > 1) {
    providers.forEach((provider, index) => {
      if (provider.maxRole !== undefined) return;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index, 'maxRole'], message: 'is missing' });
    });
  }
  const [linker, ...others] = providers.filter((provider) => provider.linkScimUsers === true);
  for (const other of others) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [providers.indexOf(other), 'linkScimUsers'],
      message: `only one identity provider may link SCIM users, and "${linker?.name}" does: set it to false on all but the one SCIM provisions from`,
    });
  }
}

/** Sign-in through corporate identity providers (ADR 0016). */
const federation = z
  .object({
    providers: z
      .array(identityProvider)
      .min(1, 'must list at least one identity provider')
      .superRefine((providers, ctx) => {
        const seen = new Set<string>();
        providers.forEach((provider, index) => {
          const name = provider.name.toLowerCase();
          if (seen.has(name)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index, 'name'], message: 'must be unique' });
          }
          seen.add(name);
        });
        checkProviderTrust(providers, ctx);
      }),
    roleMapping: described(
      z.record(z.string().min(1), userRole),
      'the Stax role of each IdP group (the highest role of the groups a user is in wins)',
      '{ "staxid-admins": "customer_admin" }',
    ).default({}),
    defaultRole: userRole.default('customer_readonly'),
  })
  .strict()
  .transform((federation) => ({
    ...federation,
    providers: federation.providers.map((provider) => ({
      ...provider,
      maxRole: provider.maxRole ?? 'customer_admin',
      linkScimUsers: provider.linkScimUsers ?? federation.providers.length === 1,
    })),
  }));

/**
 * The console's own domain name (ADR 0019): CloudFront serves it with this certificate,
 * which CloudFront accepts only from ACM in us-east-1. Unset, the console is at the
 * distribution's `*.cloudfront.net` name.
 */
const consoleDomain = z
  .object({
    domainName: described(
      z
        .string()
        .regex(
          /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
          'must be a lower-case DNS name',
        ),
      'the DNS name people open the console at (point it at the CloudFront distribution)',
      '"staxid.example.com"',
    ),
    certificateArn: described(
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
          'must be an ACM certificate ARN in us-east-1 (CloudFront takes certificates from there only)',
        ),
      'the ARN of an ACM certificate in us-east-1 covering domainName',
      '"arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"',
    ),
  })
  .strict();

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const configSchema = z
  .object({
    region,
    organizationId,
    accounts: z
      .object({
        management: accountId('111111111111'),
        security: accountId('222222222222'),
        logging: accountId('333333333333'),
      })
      .strict(),
    identity: z
      .object({
        domainPrefix: described(
          z
            .string()
            .regex(
              /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
              'must be lower-case letters, digits and hyphens, not starting or ending with a hyphen',
            )
            .refine(
              (value) => !/aws|amazon|cognito/.test(value),
              'must not contain "aws", "amazon" or "cognito"',
            ),
          'the Cognito hosted UI domain prefix',
          '"acme-staxid"',
        ),
        // The console's own page and the CLI's loopback are registered by the stack: these are
        // for other web apps that sign in through the console app client, and none by default.
        // https only: Cognito cannot require PKCE, so a plain-http or localhost callback would
        // let whatever listens there redeem a code it lured out of a signed-in browser.
        callbackUrls: described(
          z.array(webAppUrl).default([]),
          'callback URLs of other web apps on the console app client (the console and CLI are added by the stack)',
          '["https://tools.example.com/callback"]',
        ),
        logoutUrls: described(
          z.array(webAppUrl).default([]),
          'sign-out URLs of other web apps on the console app client (the console is added by the stack)',
          '["https://tools.example.com/"]',
        ),
        apiThrottle: z
          .object({
            rateLimit: positiveInt('steady-state requests per second for the API stage', 50, 1, 10000),
            burstLimit: positiveInt('burst requests for the API stage', 100, 1, 5000),
          })
          .strict()
          .default({ rateLimit: 50, burstLimit: 100 }),
        wafRateLimit: positiveInt(
          'requests per client IP in any 5 minutes before WAF blocks it',
          1000,
          100,
          2000000000,
        )
          .optional()
          .default(1000),
        builtinRoleSessionDuration: positiveInt(
          'session duration in seconds of the built-in member-account roles',
          3600,
          3600,
          43200,
        )
          .optional()
          .default(3600),
        supportGroupName: described(
          z.string().min(3).max(64),
          'the name of the staxid group whose members are support engineers (ADR 0012); unset, nobody is',
          '"Support Engineers"',
        ).optional(),
        logRetentionDays: described(
          z
            .number()
            .int()
            .refine(
              (value) => LOG_RETENTION_DAYS.includes(value),
              `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
            ),
          'CloudWatch Logs retention in days',
          '365',
        )
          .optional()
          .default(365),
        federation: federation.optional(),
        console: consoleDomain.optional(),
      })
      .strict(),
    audit: z
      .object({
        retentionDays: positiveInt('days each audit event is locked in COMPLIANCE mode', 2557, 1, 36500),
        archiveAfterDays: positiveInt(
          'days before audit events move to Glacier Instant Retrieval',
          90,
          1,
          36500,
        )
          .optional()
          .default(90),
        deepArchiveAfterDays: positiveInt(
          'days before audit events move to Glacier Deep Archive',
          365,
          1,
          36500,
        )
          .optional()
          .default(365),
      })
      .strict()
      .superRefine((audit, ctx) => {
        if (audit.deepArchiveAfterDays < audit.archiveAfterDays + 90) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['deepArchiveAfterDays'],
            message: `must be at least archiveAfterDays + 90 (${audit.archiveAfterDays + 90}): S3 needs 90 days in Glacier Instant Retrieval first`,
          });
        }
      }),
    memberRoles: z
      .object({
        targetOus: described(
          z.array(organizationalUnitId).min(1, 'must list at least one organizational unit'),
          'the organizational units whose accounts get the staxid roles',
          '["ou-ab12-cd34ef56"]',
        ),
        samlMetadataFile: described(
          z.string().min(1, 'must name a file'),
          "a file holding the staxid service's SAML IdP metadata (GET /saml/metadata.xml)",
          '"config/saml-metadata.xml"',
        ),
      })
      .strict(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { management, security, logging } = config.accounts;
    if (new Set([management, security, logging]).size !== 3) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['accounts'],
        message: 'management, security and logging must be three different accounts',
      });
    }
  });

type ParsedConfig = z.infer<typeof configSchema>;

type ParsedFederation = NonNullable<ParsedConfig['identity']['federation']>;
type ParsedProvider = ParsedFederation['providers'][number];

/** A SAML identity provider, its metadata document read when it was given as a file. */
export type SamlProviderConfig = Extract<ParsedProvider, { type: 'SAML' }> & {
  /** The document read from `metadataFile`; absent when the provider has a `metadataUrl`. */
  readonly metadataDocument?: string;
};
export type OidcProviderConfig = Extract<ParsedProvider, { type: 'OIDC' }>;
export type IdentityProviderConfig = SamlProviderConfig | OidcProviderConfig;

/** `identity.federation`: corporate identity providers and how their users get a Stax role. */
export interface FederationConfig extends Omit<ParsedFederation, 'providers'> {
  readonly providers: readonly IdentityProviderConfig[];
}

export interface StaxidConfig extends Omit<ParsedConfig, 'memberRoles' | 'identity'> {
  readonly identity: Omit<ParsedConfig['identity'], 'federation'> & {
    /** @default - no identity providers: local users only */
    readonly federation?: FederationConfig;
  };
  readonly memberRoles: ParsedConfig['memberRoles'] & {
    /** The metadata document read from `samlMetadataFile`. */
    readonly samlMetadata: string;
  };
}

export interface LoadConfigOptions {
  /** Directory that relative paths in the configuration are resolved against. */
  readonly baseDir: string;
}

/** Validates the raw `staxid` context value and reads the files it names. */
export function loadConfig(raw: unknown, options: LoadConfigOptions): StaxidConfig {
  if (raw === undefined || raw === null) {
    throw new ConfigError([
      `the "${CONTEXT_KEY}" context key is missing: add it to cdk.json, e.g. { "context": { "${CONTEXT_KEY}": { "region": "eu-west-1", ... } } } (see README, Configuration)`,
    ]);
  }
  const value = typeof raw === 'string' ? parseJsonContext(raw) : raw;
  const result = configSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, value)));
  }
  const config = result.data;
  const samlMetadata = readSamlMetadata(
    config.memberRoles.samlMetadataFile,
    options.baseDir,
    `${CONTEXT_KEY}.memberRoles.samlMetadataFile`,
    `save the deployed service's metadata there, e.g. curl -o ${config.memberRoles.samlMetadataFile} https://<api-domain>/saml/metadata.xml`,
  );
  const { federation, ...identity } = config.identity;
  return {
    ...config,
    identity: {
      ...identity,
      ...(federation && { federation: readProviderMetadata(federation, options.baseDir) }),
    },
    memberRoles: { ...config.memberRoles, samlMetadata },
  };
}

/** Reads the metadata files of SAML providers given by file; URLs are left for Cognito to fetch. */
function readProviderMetadata(federation: ParsedFederation, baseDir: string): FederationConfig {
  const providers = federation.providers.map((provider, index): IdentityProviderConfig => {
    if (provider.type !== 'SAML' || provider.metadataFile === undefined) return provider;
    const metadataDocument = readSamlMetadata(
      provider.metadataFile,
      baseDir,
      `${CONTEXT_KEY}.identity.federation.providers.${index}.metadataFile`,
      `download the metadata of the "${provider.name}" application from your IdP's admin console and save it there`,
    );
    return { ...provider, metadataDocument };
  });
  return { ...federation, providers };
}

function parseJsonContext(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError([
      `"${CONTEXT_KEY}" was given as a string that is not JSON: pass an object, e.g. -c '${CONTEXT_KEY}={"region":"eu-west-1",...}'`,
    ]);
  }
}

function describeIssue(issue: z.ZodIssue, input: unknown): string {
  const key = [CONTEXT_KEY, ...issue.path].join('.');
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    return `${key}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove them or check the spelling (README, Configuration lists every key)`;
  }
  const help = fieldHelpAt(issue.path);
  const example = help ? `, e.g. ${help.example}` : '';
  const received = valueAt(input, issue.path);
  if (received === undefined) {
    return `${key}: is missing; expected ${help ? help.what : 'a value'}${example}`;
  }
  return `${key}: ${issue.message} (got ${JSON.stringify(received)})${example}`;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** The help registered for the field at a path, looking through optional/default/refine wrappers. */
function fieldHelpAt(path: readonly (string | number)[]): FieldHelp | undefined {
  let schema: z.ZodTypeAny | undefined = configSchema;
  let help: FieldHelp | undefined;
  for (const segment of path) {
    const inner: z.ZodTypeAny = unwrap(schema);
    if (inner instanceof z.ZodObject && typeof segment === 'string') {
      schema = (inner.shape as Record<string, z.ZodTypeAny>)[segment];
    } else if (inner instanceof z.ZodDiscriminatedUnion && typeof segment === 'string') {
      schema = optionFieldOf(inner, segment);
    } else if (inner instanceof z.ZodRecord && typeof segment === 'string') {
      schema = inner.valueSchema;
    } else if (inner instanceof z.ZodArray && typeof segment === 'number') {
      schema = inner.element;
    } else {
      schema = undefined;
    }
    if (!schema) return help;
    help = helpOf(schema);
  }
  return help;
}

/** The field `key` of the first option of a discriminated union that has one. */
function optionFieldOf(
  union: z.ZodDiscriminatedUnion<string, z.ZodDiscriminatedUnionOption<string>[]>,
  key: string,
): z.ZodTypeAny | undefined {
  for (const option of union.options) {
    const field = (option.shape as Record<string, z.ZodTypeAny>)[key];
    if (field) return field;
  }
  return undefined;
}

function helpOf(schema: z.ZodTypeAny): FieldHelp | undefined {
  for (let current: z.ZodTypeAny | undefined = schema; current; current = innerOf(current)) {
    const help = FIELD_HELP.get(current);
    if (help) return help;
  }
  return undefined;
}

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  let current = schema;
  for (let inner = innerOf(current); inner; inner = innerOf(current)) current = inner;
  return current;
}

function innerOf(schema: z.ZodTypeAny): z.ZodTypeAny | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return schema.unwrap();
  if (schema instanceof z.ZodDefault) return schema.removeDefault();
  if (schema instanceof z.ZodEffects) return schema.innerType();
  return undefined;
}

const SAML_METADATA_MAX_BYTES = 10_000_000;

/** Reads and checks a SAML IdP metadata file; `key` and `howToGetIt` go into the error messages. */
function readSamlMetadata(file: string, baseDir: string, key: string, howToGetIt: string): string {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  if (!existsSync(path)) {
    throw new ConfigError([`${key}: file "${file}" does not exist; ${howToGetIt}`]);
  }
  const document = readFileSync(path, 'utf8');
  const problems: string[] = [];
  if (
    !/<(?:\w+:)?EntityDescriptor[\s>]/.test(document) ||
    !/<(?:\w+:)?IDPSSODescriptor[\s>]/.test(document)
  ) {
    problems.push(
      `${key}: "${file}" is not SAML IdP metadata (no EntityDescriptor with an IDPSSODescriptor)`,
    );
  } else if (!/<(?:\w+:)?X509Certificate>/.test(document)) {
    problems.push(`${key}: "${file}" has no signing certificate (X509Certificate)`);
  }
  if (Buffer.byteLength(document) > SAML_METADATA_MAX_BYTES) {
    problems.push(`${key}: "${file}" is larger than IAM accepts (10,000,000 bytes)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return document;
}
