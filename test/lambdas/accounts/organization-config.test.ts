import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORGANISATION_ID_ENV, organisationIdFor } from '@/lambdas/shared/ids';
import {
  OrganizationError,
  parseSimulatedOrganization,
  SimulatedOrganization,
} from '@/lambdas/shared/organization';
import {
  DEFAULT_LOCAL_ORGANIZATION,
  localOrganization,
  localOrganizationEnvironment,
} from '@/local/organization';

describe('parseSimulatedOrganization', () => {
  it('accepts the default local organization', () => {
    expect(parseSimulatedOrganization(DEFAULT_LOCAL_ORGANIZATION, 'default')).toEqual(
      DEFAULT_LOCAL_ORGANIZATION,
    );
  });

  test.each([
    [[], 'f: the document must be a JSON object'],
    [
      { ...DEFAULT_LOCAL_ORGANIZATION, OrganizationId: 'org' },
      'f: OrganizationId must be an AWS Organizations id, e.g. "o-local00000"',
    ],
    [
      { ...DEFAULT_LOCAL_ORGANIZATION, ManagementAccountId: '1' },
      'f: ManagementAccountId must be a 12-digit account id',
    ],
    [{ ...DEFAULT_LOCAL_ORGANIZATION, Accounts: [] }, 'f: Accounts must be a non-empty array'],
    [
      { ...DEFAULT_LOCAL_ORGANIZATION, Accounts: [{ Id: '100000000001', Name: 'm', Email: 'nope' }] },
      'f: Accounts[0].Email must be an email address',
    ],
    [
      {
        ...DEFAULT_LOCAL_ORGANIZATION,
        Accounts: [{ Id: '100000000001', Name: 'm', Email: 'a@b.c', State: 'GONE' }],
      },
      'f: Accounts[0].State must be one of PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED',
    ],
    [
      { ...DEFAULT_LOCAL_ORGANIZATION, Accounts: [{ Id: '100000000001', Name: 'm', Email: 'a@b.c' }] },
      'f: SecurityAccountId names 100000000002, which is not in Accounts',
    ],
    [
      {
        ...DEFAULT_LOCAL_ORGANIZATION,
        Accounts: [
          ...DEFAULT_LOCAL_ORGANIZATION.Accounts,
          { Id: '100000000001', Name: 'again', Email: 'a@b.c' },
        ],
      },
      'f: Accounts[6].Id repeats account 100000000001',
    ],
  ])('refuses %j, naming the field', (value, message) => {
    expect(() => parseSimulatedOrganization(value, 'f')).toThrow(new OrganizationError(message));
  });
});

describe('the local organization', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'staxid-org-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is the default one (management, security, logging, three members) without organization.json', () => {
    expect(localOrganization(home)).toEqual({ description: DEFAULT_LOCAL_ORGANIZATION });
    expect(DEFAULT_LOCAL_ORGANIZATION.Accounts).toHaveLength(6);
    const env = localOrganizationEnvironment(home);
    expect(env).toEqual({
      STAXID_ORGANIZATION_FILE: undefined,
      STAXID_SIMULATED_ORGANIZATION: JSON.stringify(DEFAULT_LOCAL_ORGANIZATION),
      STAXID_ORGANIZATIONS_ROLE_ARN: undefined,
      STAXID_MANAGEMENT_ACCOUNT_ID: '100000000001',
      STAXID_SECURITY_ACCOUNT_ID: '100000000002',
      STAXID_LOGGING_ACCOUNT_ID: '100000000003',
      [ORGANISATION_ID_ENV]: organisationIdFor('o-staxidlocal0'),
    });
  });

  it('is organization.json when present, read again at every discovery', async () => {
    const file = join(home, 'organization.json');
    const mine = {
      OrganizationId: 'o-mine000000',
      ManagementAccountId: '999999999999',
      Accounts: [{ Id: '999999999999', Name: 'root', Email: 'root@example.com' }],
    };
    writeFileSync(file, JSON.stringify(mine));
    const env = localOrganizationEnvironment(home);
    expect(env).toMatchObject({
      STAXID_ORGANIZATION_FILE: file,
      STAXID_MANAGEMENT_ACCOUNT_ID: '999999999999',
    });
    const organization = new SimulatedOrganization({ file });
    expect(await organization.listAccounts()).toEqual([
      { id: '999999999999', name: 'root', email: 'root@example.com', state: 'ACTIVE' },
    ]);
    writeFileSync(
      file,
      JSON.stringify({
        ...mine,
        Accounts: [...mine.Accounts, { Id: '888888888888', Name: 'new', Email: 'n@example.com' }],
      }),
    );
    expect(await organization.listAccounts()).toHaveLength(2);
    writeFileSync(file, '{');
    await expect(organization.listAccounts()).rejects.toThrow(`${file} is not valid JSON`);
    expect(() => localOrganization(home)).toThrow(`${file} is not valid JSON`);
  });
});

type OrganizationModule = typeof import('@/lambdas/shared/organization');

/** A fresh copy of the module: organizationFromEnv keeps what it built for the life of the container. */
function freshModule(): OrganizationModule {
  let loaded: OrganizationModule | undefined;
  jest.isolateModules(() => {
    loaded = jest.requireActual<OrganizationModule>('@/lambdas/shared/organization');
  });
  if (!loaded) throw new Error('module not loaded');
  return loaded;
}

describe('organizationFromEnv', () => {
  it('is the simulated organization when one is configured (the file first)', () => {
    const inline = freshModule();
    expect(
      inline.organizationFromEnv({
        STAXID_SIMULATED_ORGANIZATION: JSON.stringify(DEFAULT_LOCAL_ORGANIZATION),
      }),
    ).toBeInstanceOf(inline.SimulatedOrganization);
    const file = freshModule();
    expect(
      file.organizationFromEnv({ STAXID_ORGANIZATION_FILE: '/x.json', STAXID_ORGANIZATIONS_ROLE_ARN: 'arn' }),
    ).toBeInstanceOf(file.SimulatedOrganization);
    expect(() => freshModule().organizationFromEnv({ STAXID_SIMULATED_ORGANIZATION: '{' })).toThrow(
      'STAXID_SIMULATED_ORGANIZATION is not valid JSON',
    );
  });

  it('is AWS Organizations through the role ARN, and the same object at every call', () => {
    const aws = freshModule();
    const env = {
      STAXID_ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::111111111111:role/r',
      AWS_REGION: 'eu-west-1',
    };
    const organization = aws.organizationFromEnv(env);
    expect(organization).toBeInstanceOf(aws.AwsOrganization);
    expect(aws.organizationFromEnv(env)).toBe(organization);
  });

  it('fails naming the variables when nothing is configured', () => {
    expect(() => freshModule().organizationFromEnv({})).toThrow(
      'organization not configured: set STAXID_ORGANIZATIONS_ROLE_ARN (AWS), or STAXID_ORGANIZATION_FILE / STAXID_SIMULATED_ORGANIZATION (local)',
    );
  });
});
