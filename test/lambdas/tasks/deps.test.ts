import { accountReadDepsFromEnv, discoveryDepsFromEnv } from '@/lambdas/accounts/deps';
import { OutboxAuditSink } from '@/lambdas/shared/audit-outbox';
import { once } from '@/lambdas/shared/deps';
import { serviceDepsFromEnv } from '@/lambdas/shared/write-deps';

const base = { STAXID_TABLE_NAME: 'staxid', STAXID_ORGANISATION_ID: '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b' };

describe('serviceDepsFromEnv', () => {
  it('needs the OrganisationId, naming the variable', () => {
    expect(() => serviceDepsFromEnv({ STAXID_TABLE_NAME: 'staxid' })).toThrow(
      'environment variable STAXID_ORGANISATION_ID is not set',
    );
  });

  it("records audit events in the outbox of the function's own table: no bucket or role to configure", () => {
    const deps = serviceDepsFromEnv(base);
    expect(deps.organisationId).toBe(base.STAXID_ORGANISATION_ID);
    expect(deps.audit).toBeInstanceOf(OutboxAuditSink);
  });
});

describe('accountReadDepsFromEnv and discoveryDepsFromEnv', () => {
  it('take the login URL base from STAXID_CONSOLE_URL, else STAXID_API_URL, without a trailing slash', () => {
    expect(
      accountReadDepsFromEnv({ ...base, STAXID_CONSOLE_URL: 'https://console.example.com/' }).consoleUrl,
    ).toBe('https://console.example.com');
    expect(accountReadDepsFromEnv({ ...base, STAXID_API_URL: 'https://api.example.com' }).consoleUrl).toBe(
      'https://api.example.com',
    );
    expect(accountReadDepsFromEnv(base).consoleUrl).toBeUndefined();
  });

  it('take the special accounts from the environment', () => {
    const deps = discoveryDepsFromEnv({
      ...base,
      STAXID_ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::111111111111:role/staxid-organizations-reader',
      STAXID_MANAGEMENT_ACCOUNT_ID: '111111111111',
      STAXID_LOGGING_ACCOUNT_ID: '333333333333',
    });
    expect(deps.accountRoles).toEqual({ management: '111111111111', logging: '333333333333' });
  });
});

describe('once', () => {
  it('builds once, and again after a failed build', () => {
    let calls = 0;
    const failing = once(() => {
      calls += 1;
      if (calls === 1) throw new Error('not yet');
      return { calls };
    });
    expect(() => failing()).toThrow('not yet');
    const value = failing();
    expect(value).toEqual({ calls: 2 });
    expect(failing()).toBe(value);
    expect(calls).toBe(2);
  });
});
