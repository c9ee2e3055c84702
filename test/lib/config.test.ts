import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FEDERATION_ROLES_ENV,
  federatedRole,
  federationRolesEnvValue,
  federationRolesFromEnv,
  providerPolicy,
} from '@/lambdas/triggers/federation';
import { ConfigError, loadConfig } from '@/lib/config';
import { exampleContext, REPO_ROOT } from '@/test/support/config';

type Raw = Record<string, unknown> & {
  accounts: Record<string, unknown>;
  identity: Record<string, unknown>;
  audit: Record<string, unknown>;
  memberRoles: Record<string, unknown>;
};

function raw(): Raw {
  return exampleContext() as Raw;
}

function problemsOf(value: unknown, baseDir = REPO_ROOT): readonly string[] {
  try {
    loadConfig(value, { baseDir });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('accepts the example configuration in cdk.json and applies defaults', () => {
    const example = raw();
    delete example.identity.apiThrottle;
    delete example.identity.wafRateLimit;
    delete example.audit.archiveAfterDays;
    delete example.audit.deepArchiveAfterDays;

    const config = loadConfig(example, { baseDir: REPO_ROOT });

    expect(config.region).toBe('eu-west-1');
    expect(config.accounts).toEqual({
      management: '111111111111',
      security: '222222222222',
      logging: '333333333333',
    });
    expect(config.identity.apiThrottle).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(config.identity.wafRateLimit).toBe(1000);
    expect(config.audit.archiveAfterDays).toBe(90);
    expect(config.audit.deepArchiveAfterDays).toBe(365);
    expect(config.memberRoles.samlMetadata).toContain('<md:IDPSSODescriptor');
  });

  it('accepts the context as a JSON string, as `cdk synth -c staxid=...` passes it', () => {
    const config = loadConfig(JSON.stringify(raw()), { baseDir: REPO_ROOT });
    expect(config.organizationId).toBe('o-a1b2c3d4e5');
  });

  it('names the context key when it is missing altogether', () => {
    expect(problemsOf(undefined)).toEqual([
      'the "staxid" context key is missing: add it to cdk.json, e.g. { "context": { "staxid": { "region": "eu-west-1", ... } } } (see README, Configuration)',
    ]);
  });

  it('says how to pass a string that is not JSON', () => {
    expect(problemsOf('{region: eu-west-1')).toEqual([
      '"staxid" was given as a string that is not JSON: pass an object, e.g. -c \'staxid={"region":"eu-west-1",...}\'',
    ]);
  });

  test.each<[string, (config: Raw) => void, string]>([
    [
      'region not a region',
      (c) => {
        c.region = 'eu-west-9';
      },
      'staxid.region: must be an AWS region code (got "eu-west-9"), e.g. "eu-west-1"',
    ],
    [
      'region missing',
      (c) => {
        delete c.region;
      },
      'staxid.region: is missing; expected an AWS region code, e.g. "eu-west-1"',
    ],
    [
      'organization id malformed',
      (c) => {
        c.organizationId = 'org-1';
      },
      'staxid.organizationId: must be an AWS Organizations id (got "org-1"), e.g. "o-a1b2c3d4e5"',
    ],
    [
      'account id too short',
      (c) => {
        c.accounts.management = '12345';
      },
      'staxid.accounts.management: must be a 12-digit AWS account id (got "12345"), e.g. "111111111111"',
    ],
    [
      'account id as a number',
      (c) => {
        c.accounts.security = 222222222222;
      },
      'staxid.accounts.security: Expected string, received number (got 222222222222), e.g. "222222222222"',
    ],
    [
      'account missing',
      (c) => {
        delete c.accounts.logging;
      },
      'staxid.accounts.logging: is missing; expected a 12-digit AWS account id, e.g. "333333333333"',
    ],
    [
      'the same account twice',
      (c) => {
        c.accounts.logging = c.accounts.security;
      },
      'staxid.accounts: management, security and logging must be three different accounts (got {"management":"111111111111","security":"222222222222","logging":"222222222222"})',
    ],
    [
      'unknown key',
      (c) => {
        c.identity.domainprefix = 'typo';
      },
      'staxid.identity: unknown key(s) "domainprefix": remove them or check the spelling (README, Configuration lists every key)',
    ],
    [
      'domain prefix with upper case',
      (c) => {
        c.identity.domainPrefix = 'Acme';
      },
      'staxid.identity.domainPrefix: must be lower-case letters, digits and hyphens, not starting or ending with a hyphen (got "Acme"), e.g. "acme-staxid"',
    ],
    [
      'domain prefix with a reserved word',
      (c) => {
        c.identity.domainPrefix = 'acme-cognito';
      },
      'staxid.identity.domainPrefix: must not contain "aws", "amazon" or "cognito" (got "acme-cognito"), e.g. "acme-staxid"',
    ],
    [
      'callback URL over plain http',
      (c) => {
        c.identity.callbackUrls = ['http://staxid.example.com/callback'];
      },
      'staxid.identity.callbackUrls.0: must use https (got "http://staxid.example.com/callback"), e.g. "https://tools.example.com/callback"',
    ],
    [
      'a localhost callback URL (Cognito cannot require PKCE: whatever listens there could redeem a lured code)',
      (c) => {
        c.identity.callbackUrls = ['http://localhost:3000/callback'];
      },
      'staxid.identity.callbackUrls.0: must use https (got "http://localhost:3000/callback"), e.g. "https://tools.example.com/callback"',
    ],
    [
      'throttle out of range',
      (c) => {
        c.identity.apiThrottle = { rateLimit: 0, burstLimit: 100 };
      },
      'staxid.identity.apiThrottle.rateLimit: must be at least 1 (got 0), e.g. 50',
    ],
    [
      'session duration above 12 hours',
      (c) => {
        c.identity.builtinRoleSessionDuration = 43201;
      },
      'staxid.identity.builtinRoleSessionDuration: must be at most 43200 (got 43201), e.g. 3600',
    ],
    [
      'log retention CloudWatch does not offer',
      (c) => {
        c.identity.logRetentionDays = 12;
      },
      'staxid.identity.logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 12), e.g. 365',
    ],
    [
      'audit retention missing',
      (c) => {
        delete c.audit.retentionDays;
      },
      'staxid.audit.retentionDays: is missing; expected days each audit event is locked in COMPLIANCE mode (1..36500), e.g. 2557',
    ],
    [
      'deep archive too early',
      (c) => {
        c.audit.deepArchiveAfterDays = 120;
      },
      'staxid.audit.deepArchiveAfterDays: must be at least archiveAfterDays + 90 (180): S3 needs 90 days in Glacier Instant Retrieval first (got 120), e.g. 365',
    ],
    [
      'OU id malformed',
      (c) => {
        c.memberRoles.targetOus = ['ou-1'];
      },
      'staxid.memberRoles.targetOus.0: must be an organizational unit id (got "ou-1"), e.g. "ou-ab12-cd34ef56"',
    ],
    [
      'no OU',
      (c) => {
        c.memberRoles.targetOus = [];
      },
      'staxid.memberRoles.targetOus: must list at least one organizational unit (got []), e.g. ["ou-ab12-cd34ef56"]',
    ],
  ])('rejects %s, naming the key and an example', (_case, mutate, expected) => {
    const config = raw();
    mutate(config);
    expect(problemsOf(config)).toEqual([expected]);
  });

  describe('identity.federation', () => {
    const saml = {
      name: 'Okta',
      type: 'SAML',
      metadataUrl: 'https://acme.okta.com/app/exk1/sso/saml/metadata',
    };
    const oidc = {
      name: 'EntraID',
      type: 'OIDC',
      issuer: 'https://login.microsoftonline.com/tenant/v2.0',
      clientId: 'entra-client',
      clientSecretArn: 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:staxid/entra-AbCdEf',
    };
    const withFederation = (federation: unknown) => {
      const config = raw();
      config.identity.federation = federation;
      return config;
    };

    it('is optional: no providers, local users only', () => {
      expect(loadConfig(raw(), { baseDir: REPO_ROOT }).identity.federation).toBeUndefined();
    });

    it('applies defaults: attribute names, OIDC scopes, default role; reads a metadata file', () => {
      const config = loadConfig(
        withFederation({
          providers: [
            { ...saml, maxRole: 'customer_admin' },
            { ...oidc, maxRole: 'customer_user', linkScimUsers: true },
            {
              name: 'Ping',
              type: 'SAML',
              metadataFile: 'config/example-saml-metadata.xml',
              maxRole: 'customer_readonly',
            },
          ],
          roleMapping: { 'staxid-admins': 'customer_admin' },
        }),
        { baseDir: REPO_ROOT },
      );
      const federation = config.identity.federation;
      expect(federation?.defaultRole).toBe('customer_readonly');
      expect(federation?.roleMapping).toEqual({ 'staxid-admins': 'customer_admin' });
      expect(federation?.providers[0]).toEqual({
        ...saml,
        allowRoleAttribute: false,
        maxRole: 'customer_admin',
        linkScimUsers: false,
        attributes: {
          email: 'email',
          givenName: 'given_name',
          familyName: 'family_name',
          role: 'StaxRole',
          groups: 'groups',
        },
      });
      expect(federation?.providers[1]).toMatchObject({
        scopes: ['openid', 'email', 'profile'],
        linkScimUsers: true,
      });
      expect(federation?.providers[2]).toMatchObject({
        metadataDocument: expect.stringContaining('IDPSSODescriptor'),
      });
    });

    it('trusts a single provider with SCIM users and up to customer_admin, but never its role attribute', () => {
      const config = loadConfig(withFederation({ providers: [oidc] }), { baseDir: REPO_ROOT });
      expect(config.identity.federation?.providers[0]).toMatchObject({
        allowRoleAttribute: false,
        maxRole: 'customer_admin',
        linkScimUsers: true,
      });
    });

    it("hands the sign-in trigger each provider's policy: a second IdP's admin group is capped", () => {
      const config = loadConfig(
        withFederation({
          providers: [
            { ...saml, maxRole: 'customer_admin', linkScimUsers: true },
            { ...oidc, maxRole: 'customer_readonly', allowRoleAttribute: true },
          ],
          roleMapping: { 'staxid-admins': 'customer_admin' },
        }),
        { baseDir: REPO_ROOT },
      );
      const roles = federationRolesFromEnv({
        [FEDERATION_ROLES_ENV]: federationRolesEnvValue(config.identity.federation),
      });
      expect(providerPolicy(roles, 'Okta')).toEqual({
        allowRoleAttribute: false,
        maxRole: 'customer_admin',
        linkScimUsers: true,
      });
      const admin = {
        kind: 'federated',
        username: 'EntraID_x',
        providerName: 'EntraID',
        providerType: 'OIDC',
        email: 'x@acme.example',
        firstName: '',
        lastName: '',
        roleAttribute: 'customer_admin',
        groups: ['staxid-admins'],
        emailVerified: true,
      } as const;
      expect(federatedRole(admin, roles)).toBe('customer_readonly');
      expect(federatedRole({ ...admin, providerName: 'Okta' }, roles)).toBe('customer_admin');
    });

    it('with several providers, requires maxRole on each and lets at most one link SCIM users', () => {
      expect(
        problemsOf(
          withFederation({
            providers: [
              { ...saml, linkScimUsers: true },
              { ...oidc, maxRole: 'customer_user', linkScimUsers: true },
            ],
          }),
        ),
      ).toEqual([
        'staxid.identity.federation.providers.0.maxRole: is missing; expected the highest Stax role users of this IdP may get, whatever its groups or role attribute say (required when more than one IdP is configured; one IdP: customer_admin), e.g. "customer_user"',
        'staxid.identity.federation.providers.1.linkScimUsers: only one identity provider may link SCIM users, and "Okta" does: set it to false on all but the one SCIM provisions from (got true), e.g. true',
      ]);
    });

    test.each<[string, unknown, string]>([
      [
        'no provider',
        { providers: [] },
        'staxid.identity.federation.providers: must list at least one identity provider (got [])',
      ],
      [
        'an unknown key',
        { providers: [saml], roles: {} },
        'staxid.identity.federation: unknown key(s) "roles": remove them or check the spelling (README, Configuration lists every key)',
      ],
      [
        'an unknown provider key',
        { providers: [{ ...saml, metadata: 'x' }] },
        'staxid.identity.federation.providers.0: unknown key(s) "metadata": remove them or check the spelling (README, Configuration lists every key)',
      ],
      [
        'an unknown provider type',
        { providers: [{ ...saml, type: 'LDAP' }] },
        'staxid.identity.federation.providers.0.type: Invalid discriminator value. Expected \'SAML\' | \'OIDC\' (got "LDAP"), e.g. "SAML"',
      ],
      [
        'a provider name with an underscore',
        { providers: [{ ...saml, name: 'Acme_Okta' }] },
        'staxid.identity.federation.providers.0.name: must be 2..32 letters, digits, dots or hyphens (no underscore), starting and ending with a letter or digit (got "Acme_Okta"), e.g. "Okta"',
      ],
      [
        'a reserved provider name',
        { providers: [{ ...saml, name: 'Google' }] },
        'staxid.identity.federation.providers.0.name: must not be a name Cognito reserves (Cognito, Google, Facebook, LoginWithAmazon, SignInWithApple) (got "Google"), e.g. "Okta"',
      ],
      [
        'two providers with one name',
        {
          providers: [
            { ...saml, maxRole: 'customer_admin' },
            { ...oidc, name: 'okta', maxRole: 'customer_user' },
          ],
        },
        'staxid.identity.federation.providers.1.name: must be unique (got "okta"), e.g. "Okta"',
      ],
      [
        'SAML with both metadata sources',
        { providers: [{ ...saml, metadataFile: 'config/example-saml-metadata.xml' }] },
        'staxid.identity.federation.providers.0: must have exactly one of metadataUrl and metadataFile (got {"name":"Okta","type":"SAML","metadataUrl":"https://acme.okta.com/app/exk1/sso/saml/metadata","metadataFile":"config/example-saml-metadata.xml"})',
      ],
      [
        'SAML metadata over plain http',
        { providers: [{ ...saml, metadataUrl: 'http://acme.okta.com/metadata' }] },
        'staxid.identity.federation.providers.0.metadataUrl: must use https (http only for localhost) (got "http://acme.okta.com/metadata"), e.g. "https://acme.okta.com/app/exk1/sso/saml/metadata"',
      ],
      [
        'OIDC without a client secret',
        { providers: [{ ...oidc, clientSecretArn: undefined }] },
        'staxid.identity.federation.providers.0.clientSecretArn: is missing; expected the ARN of the Secrets Manager secret holding the OIDC client secret (a plain string), e.g. "arn:aws:secretsmanager:eu-west-1:222222222222:secret:staxid/okta-oidc-AbCdEf"',
      ],
      [
        'OIDC client secret that is not a secret ARN',
        { providers: [{ ...oidc, clientSecretArn: 's3cr3t' }] },
        'staxid.identity.federation.providers.0.clientSecretArn: must be a Secrets Manager secret ARN (got "s3cr3t"), e.g. "arn:aws:secretsmanager:eu-west-1:222222222222:secret:staxid/okta-oidc-AbCdEf"',
      ],
      [
        'OIDC scopes without openid',
        { providers: [{ ...oidc, scopes: ['email'] }] },
        'staxid.identity.federation.providers.0.scopes: must include "openid" (got ["email"]), e.g. ["openid", "email", "profile"]',
      ],
      [
        'an unknown attribute mapping key',
        { providers: [{ ...oidc, attributes: { mail: 'email' } }] },
        'staxid.identity.federation.providers.0.attributes: unknown key(s) "mail": remove them or check the spelling (README, Configuration lists every key)',
      ],
      [
        'a group mapped to a role that is not a user role',
        { providers: [saml], roleMapping: { admins: 'api_admin' } },
        'staxid.identity.federation.roleMapping.admins: must be one of customer_admin, customer_user, customer_readonly, customer_costadmin (got "api_admin"), e.g. "customer_readonly"',
      ],
      [
        'a default role that is not a user role',
        { providers: [saml], defaultRole: 'admin' },
        'staxid.identity.federation.defaultRole: must be one of customer_admin, customer_user, customer_readonly, customer_costadmin (got "admin"), e.g. "customer_readonly"',
      ],
    ])('rejects %s, naming the key', (_case, federation, expected) => {
      expect(problemsOf(withFederation(federation))).toEqual([expected]);
    });

    it('names the provider whose metadata file is missing', () => {
      expect(
        problemsOf(
          withFederation({ providers: [{ name: 'Okta', type: 'SAML', metadataFile: 'config/okta.xml' }] }),
        ),
      ).toEqual([
        'staxid.identity.federation.providers.0.metadataFile: file "config/okta.xml" does not exist; download the metadata of the "Okta" application from your IdP\'s admin console and save it there',
      ]);
    });
  });

  describe('identity.console (the console domain)', () => {
    const certificateArn =
      'arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

    it('is optional, and taken as given', () => {
      expect(loadConfig(raw(), { baseDir: REPO_ROOT }).identity.console).toBeUndefined();
      const config = raw();
      config.identity.console = { domainName: 'console.example.com', certificateArn };
      expect(loadConfig(config, { baseDir: REPO_ROOT }).identity.console).toEqual({
        domainName: 'console.example.com',
        certificateArn,
      });
    });

    it('names the key of a certificate outside us-east-1, which CloudFront cannot use', () => {
      const config = raw();
      config.identity.console = {
        domainName: 'console.example.com',
        certificateArn: certificateArn.replace('us-east-1', 'eu-west-1'),
      };
      expect(problemsOf(config)).toEqual([
        expect.stringMatching(
          /^staxid\.identity\.console\.certificateArn: must be an ACM certificate ARN in us-east-1 .*e\.g\. "arn:aws:acm:us-east-1:/,
        ),
      ]);
    });

    it('names a missing certificate and a domain that is not a DNS name', () => {
      const config = raw();
      config.identity.console = { domainName: 'https://console.example.com/' };
      expect(problemsOf(config)).toEqual([
        expect.stringMatching(/^staxid\.identity\.console\.domainName: must be a lower-case DNS name/),
        expect.stringMatching(
          /^staxid\.identity\.console\.certificateArn: is missing; expected the ARN of an ACM certificate/,
        ),
      ]);
    });
  });

  it('reports every bad key at once', () => {
    const config = raw();
    config.region = 'nowhere';
    config.accounts.management = 'x';
    expect(problemsOf(config)).toHaveLength(2);
  });

  describe('SAML metadata file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'staxid-config-'));

    it('must exist, and the message says how to get it', () => {
      const config = raw();
      config.memberRoles.samlMetadataFile = 'config/missing.xml';
      expect(problemsOf(config)).toEqual([
        'staxid.memberRoles.samlMetadataFile: file "config/missing.xml" does not exist; save the deployed service\'s metadata there, e.g. curl -o config/missing.xml https://<api-domain>/saml/metadata.xml',
      ]);
    });

    it('must be SAML IdP metadata', () => {
      writeFileSync(join(dir, 'not-metadata.xml'), '<html></html>');
      const config = raw();
      config.memberRoles.samlMetadataFile = 'not-metadata.xml';
      expect(problemsOf(config, dir)).toEqual([
        'staxid.memberRoles.samlMetadataFile: "not-metadata.xml" is not SAML IdP metadata (no EntityDescriptor with an IDPSSODescriptor)',
      ]);
    });

    it('must carry a signing certificate', () => {
      writeFileSync(
        join(dir, 'no-cert.xml'),
        '<EntityDescriptor entityID="x"><IDPSSODescriptor protocolSupportEnumeration="p"></IDPSSODescriptor></EntityDescriptor>',
      );
      const config = raw();
      config.memberRoles.samlMetadataFile = 'no-cert.xml';
      expect(problemsOf(config, dir)).toEqual([
        'staxid.memberRoles.samlMetadataFile: "no-cert.xml" has no signing certificate (X509Certificate)',
      ]);
    });

    it('is resolved against the base directory and read', () => {
      const config = loadConfig(raw(), { baseDir: REPO_ROOT });
      expect(config.memberRoles.samlMetadataFile).toBe('config/example-saml-metadata.xml');
      expect(config.memberRoles.samlMetadata).toMatch(/^<\?xml/);
    });
  });
});
