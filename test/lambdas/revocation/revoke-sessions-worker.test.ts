import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { RevocationMessage } from '@/lambdas/revocation/messages';
import {
  deniesEverySession,
  REVOCATION_POLICY_BUDGET,
  REVOCATION_POLICY_NAME,
  renderRevocationPolicy,
} from '@/lambdas/revocation/revocation-policy';
import { IamRevocationTarget } from '@/lambdas/revocation/revocation-target';
import { createWorker } from '@/lambdas/revocation/revoke-sessions-worker';
import type { Logger } from '@/lambdas/shared/logger';

const ACCOUNT = '333333333333';
const OTHER_ACCOUNT = '444444444444';
const DEPLOYER = 'arn:aws:iam::222222222222:role/staxid-deployer';
const USER_A = '0b6a4f1e-1111-4aaa-8aaa-aaaaaaaaaaaa';
const USER_B = '0b6a4f1e-2222-4bbb-8bbb-bbbbbbbbbbbb';
const userIdFor = (n: number) => `0b6a4f1e-3333-4ccc-8ccc-${String(n).padStart(12, '0')}`;
const BUILTIN = ['staxid-admin-role', 'staxid-developer-role', 'staxid-readonly-role'];
const PERMISSION_SET_ROLE = 'ps-network-admins';
const ALL_ROLES = [...BUILTIN, PERMISSION_SET_ROLE];
const NOW = new Date('2026-11-30T12:00:00.000Z');

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);

/** IAM of one member account, as the mocks answer it: roles, and their inline revocation policies. */
class FakeIam {
  readonly policies = new Map<string, string>();
  /** Calls that fail, by command name, with the error's name: each entry is used once. */
  readonly failures: { command: string; role?: string; name: string }[] = [];

  constructor(readonly roles: readonly string[]) {
    iam.on(ListRolesCommand).callsFake((input) => {
      this.failIfAsked('ListRoles');
      expect(input.PathPrefix).toBe('/staxid/');
      return { Roles: [{ RoleName: PERMISSION_SET_ROLE, Path: '/staxid/' }], IsTruncated: false };
    });
    iam.on(GetRolePolicyCommand).callsFake((input) => {
      this.failIfAsked('GetRolePolicy', input.RoleName);
      const document = this.policies.get(input.RoleName);
      if (document === undefined) throw awsError('NoSuchEntity');
      return {
        RoleName: input.RoleName,
        PolicyName: input.PolicyName,
        PolicyDocument: encodeURIComponent(document),
      };
    });
    iam.on(PutRolePolicyCommand).callsFake((input) => {
      this.failIfAsked('PutRolePolicy', input.RoleName);
      expect(input.PolicyName).toBe(REVOCATION_POLICY_NAME);
      if (!this.roles.includes(input.RoleName)) throw awsError('NoSuchEntity');
      this.policies.set(input.RoleName, input.PolicyDocument);
      return {};
    });
    iam.on(DeleteRolePolicyCommand).callsFake((input) => {
      this.failIfAsked('DeleteRolePolicy', input.RoleName);
      if (!this.policies.delete(input.RoleName)) throw awsError('NoSuchEntity');
      return {};
    });
  }

  private failIfAsked(command: string, role?: string): void {
    const index = this.failures.findIndex(
      (f) => f.command === command && (f.role === undefined || f.role === role),
    );
    const failure = this.failures[index];
    if (failure) {
      this.failures.splice(index, 1);
      throw awsError(failure.name);
    }
  }

  statements(role: string): Record<string, unknown>[] {
    const document = this.policies.get(role);
    return document === undefined ? [] : JSON.parse(document).Statement;
  }
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} (injected)`), { name, $metadata: {} });
}

const logged: { level: string; message: string; fields?: unknown }[] = [];
const logger: Logger = {
  info: (message, fields) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields) => logged.push({ level: 'error', message, fields }),
};

function worker(now: Date = NOW) {
  const target = new IamRevocationTarget({ deployerRoleArn: DEPLOYER, retry: { sleep: async () => {} } });
  return createWorker({ target, clock: { now: () => now }, logger });
}

let nextId = 0;
function record(message: RevocationMessage | string): SQSRecord {
  const messageId = `m-${++nextId}`;
  const group = typeof message === 'string' ? ACCOUNT : message.awsAccountId;
  return {
    messageId,
    receiptHandle: messageId,
    body: typeof message === 'string' ? message : JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'fan-out',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:222222222222:revocations.fifo',
    awsRegion: 'eu-west-1',
  };
}

function event(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

const revokeA: RevocationMessage = {
  awsAccountId: ACCOUNT,
  userId: USER_A,
  action: 'revoke',
  at: '2026-11-30T11:00:00.000Z',
};
const revokeB: RevocationMessage = {
  awsAccountId: ACCOUNT,
  userId: USER_B,
  action: 'revoke',
  at: '2026-11-30T11:30:00.000Z',
};
const restoreA: RevocationMessage = { ...revokeA, action: 'restore', at: '2026-11-30T11:45:00.000Z' };

function expectedStatement(userId: string, issuedBefore: string) {
  return {
    Sid: `Revoke${userId.replace(/-/g, '')}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': userId },
      DateLessThan: { 'aws:TokenIssueTime': issuedBefore },
    },
  };
}

beforeEach(() => {
  sts.reset();
  iam.reset();
  logged.length = 0;
  sts.on(AssumeRoleCommand).callsFake((input) => ({
    Credentials: {
      AccessKeyId: `ASIA-${input.RoleArn}`,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 15 * 60 * 1000),
    },
  }));
});

describe('revoke-sessions worker', () => {
  test('revoke adds the user’s Deny statement to every staxid role, through the deployer and the automation role', async () => {
    const fake = new FakeIam(ALL_ROLES);

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    const assumed = sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn);
    expect(assumed).toEqual([DEPLOYER, `arn:aws:iam::${ACCOUNT}:role/staxid-automation-role`]);
    for (const role of ALL_ROLES) {
      expect(JSON.parse(fake.policies.get(role) ?? '{}')).toEqual({
        Version: '2012-10-17',
        // 11:00 plus the 7-minute cut-off delay (stream rounding + SAML assertion lifetime).
        Statement: [expectedStatement(USER_A, '2026-11-30T11:07:00Z')],
      });
    }
  });

  test('a second user gets a statement of their own; user A’s stays as it was', async () => {
    const fake = new FakeIam(ALL_ROLES);
    await worker()(event(record(revokeA)));
    const before = fake.statements('staxid-admin-role');

    await worker()(event(record(revokeB)));

    const statements = fake.statements('staxid-admin-role');
    expect(statements).toEqual([...before, expectedStatement(USER_B, '2026-11-30T11:37:00Z')]);
  });

  test('restore removes only the user’s statement, then deletes the policy once it is empty', async () => {
    const fake = new FakeIam(ALL_ROLES);
    await worker()(event(record(revokeA), record(revokeB)));

    await worker()(event(record(restoreA)));
    expect(fake.statements('staxid-readonly-role')).toEqual([
      expectedStatement(USER_B, '2026-11-30T11:37:00Z'),
    ]);

    await worker()(event(record({ ...revokeB, action: 'restore' })));
    expect([...fake.policies.keys()]).toEqual([]);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(ALL_ROLES.length);
  });

  test('replaying a message changes nothing and writes nothing', async () => {
    const fake = new FakeIam(ALL_ROLES);
    await worker()(event(record(revokeA)));
    const snapshot = new Map(fake.policies);
    iam.resetHistory();

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    expect(fake.policies).toEqual(snapshot);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  test('a restore for a user with no statement writes nothing', async () => {
    const fake = new FakeIam(ALL_ROLES);

    await worker()(event(record(restoreA)));

    expect(fake.policies.size).toBe(0);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  test('prunes statements older than the longest session (12 h) on every write', async () => {
    const fake = new FakeIam(ALL_ROLES);
    await worker(new Date('2026-11-29T20:01:00.000Z'))(
      event(record({ ...revokeA, at: '2026-11-29T20:00:00.000Z' })),
    );
    expect(fake.statements('staxid-admin-role')).toHaveLength(1);

    // 13 h later user A's cut-off (20:07) is past every session's end: only B's remains.
    await worker(new Date('2026-11-30T09:30:00.000Z'))(event(record(revokeB)));

    expect(fake.statements('staxid-admin-role')).toEqual([expectedStatement(USER_B, '2026-11-30T11:37:00Z')]);
  });

  test('skips a built-in role that does not exist in the account', async () => {
    const fake = new FakeIam(ALL_ROLES.filter((role) => role !== 'staxid-developer-role'));

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    expect([...fake.policies.keys()].sort()).toEqual(
      ['staxid-admin-role', 'staxid-readonly-role', PERMISSION_SET_ROLE].sort(),
    );
  });

  test('retries throttling from STS and IAM inside the invocation and converges', async () => {
    const fake = new FakeIam(ALL_ROLES);
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(awsError('Throttling'))
      .callsFake(() => ({
        Credentials: {
          AccessKeyId: 'A',
          SecretAccessKey: 'S',
          SessionToken: 'T',
          Expiration: new Date(Date.now() + 9e5),
        },
      }));
    fake.failures.push(
      { command: 'ListRoles', name: 'Throttling' },
      { command: 'PutRolePolicy', role: 'staxid-admin-role', name: 'ThrottlingException' },
      { command: 'GetRolePolicy', role: PERMISSION_SET_ROLE, name: 'Throttling' },
    );

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    expect(fake.failures).toEqual([]);
    for (const role of ALL_ROLES)
      expect(fake.statements(role)).toEqual([expectedStatement(USER_A, '2026-11-30T11:07:00Z')]);
  });

  test('a role failing past the retries fails the message; redelivery converges to the same policies', async () => {
    const reference = new FakeIam(ALL_ROLES);
    await worker()(event(record(revokeA), record(revokeB)));
    const expected = new Map(reference.policies);

    iam.reset();
    const fake = new FakeIam(ALL_ROLES);
    // Five throttles in a row on one role: more than the 4 attempts of one invocation.
    for (let i = 0; i < 5; i++)
      fake.failures.push({ command: 'PutRolePolicy', role: 'staxid-developer-role', name: 'Throttling' });
    const first = record(revokeA);
    const second = record(revokeB);

    const response = await worker()(event(first, second));

    // The second message of the same account (message group) is failed unprocessed, to keep the order.
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: first.messageId },
      { itemIdentifier: second.messageId },
    ]);
    expect(fake.statements('staxid-admin-role')).toHaveLength(1);
    expect(fake.statements('staxid-developer-role')).toEqual([]);

    const redelivered = await worker()(event(first, second));

    expect(redelivered.batchItemFailures).toEqual([]);
    expect(fake.policies).toEqual(expected);
  });

  test('AccessDenied fails the message (to the DLQ after maxReceiveCount) but not other accounts’ messages', async () => {
    const fake = new FakeIam(ALL_ROLES);
    sts
      .on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/staxid-automation-role` })
      .rejects(awsError('AccessDenied'));
    const denied = record({ ...revokeA, awsAccountId: OTHER_ACCOUNT });

    const response = await worker()(event(denied, record(revokeA)));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: denied.messageId }]);
    expect(fake.statements('staxid-admin-role')).toHaveLength(1);
    expect(
      sts.commandCalls(AssumeRoleCommand, {
        RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/staxid-automation-role`,
      }),
    ).toHaveLength(1);
    expect(logged.find((line) => line.level === 'error')?.fields).toMatchObject({
      errorName: 'AccessDenied',
    });
  });

  test('writes the built-in roles before listing the permission-set roles: a role created meanwhile still gets the deny', async () => {
    const late = 'ps-created-during-revocation';
    const fake = new FakeIam([...ALL_ROLES, late]);
    iam.on(ListRolesCommand).callsFake(() => {
      // The deployment engine created `late` after the built-in writes; it is there when listed.
      const builtinsWritten = BUILTIN.every((role) => fake.policies.has(role));
      const roles = builtinsWritten ? [PERMISSION_SET_ROLE, late] : [PERMISSION_SET_ROLE];
      return { Roles: roles.map((RoleName) => ({ RoleName, Path: '/staxid/' })), IsTruncated: false };
    });

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    expect(fake.statements(late)).toEqual([expectedStatement(USER_A, '2026-11-30T11:07:00Z')]);
  });

  test('a permission-set role’s policy stays within REVOCATION_POLICY_BUDGET; the built-in roles keep a statement per user', async () => {
    const fake = new FakeIam(ALL_ROLES);
    const revokes = Array.from({ length: 12 }, (_, n) => ({ ...revokeA, userId: userIdFor(n) }));

    const response = await worker()(event(...revokes.map((message) => record(message))));

    expect(response.batchItemFailures).toEqual([]);
    expect(fake.policies.get(PERMISSION_SET_ROLE)?.length).toBeLessThanOrEqual(REVOCATION_POLICY_BUDGET);
    expect(fake.statements(PERMISSION_SET_ROLE)).toHaveLength(1);
    for (const role of BUILTIN) expect(fake.statements(role)).toHaveLength(12);
  });

  test('past a permission-set role’s budget the role fails closed (every session before the cut-off denied), with a warning naming it', async () => {
    const fake = new FakeIam(ALL_ROLES);
    const full = Array.from({ length: 46 }, (_, n) => ({
      userId: userIdFor(n),
      issuedBefore: '2026-11-30T11:07:00Z',
    }));
    fake.policies.set(PERMISSION_SET_ROLE, renderRevocationPolicy(full, REVOCATION_POLICY_BUDGET) ?? '');

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toEqual([]);
    for (const role of BUILTIN) expect(fake.statements(role)).toHaveLength(1);
    expect(fake.policies.get(PERMISSION_SET_ROLE)?.length).toBeLessThanOrEqual(REVOCATION_POLICY_BUDGET);
    expect(deniesEverySession(fake.policies.get(PERMISSION_SET_ROLE))).toBe(true);
    expect(logged.find((line) => line.level === 'warn')).toMatchObject({
      message: expect.stringContaining('deny every session issued before the cut-off'),
      fields: { awsAccountId: revokeA.awsAccountId, roles: [PERMISSION_SET_ROLE] },
    });
    // Replayed, it writes nothing and warns no more.
    logged.length = 0;
    expect((await worker()(event(record(revokeA)))).batchItemFailures).toEqual([]);
    expect(logged.filter((line) => line.level === 'warn')).toEqual([]);
  });

  test('when the permission-set roles cannot be listed, the built-in roles are written and the message fails', async () => {
    const fake = new FakeIam(ALL_ROLES);
    fake.failures.push(...Array.from({ length: 4 }, () => ({ command: 'ListRoles', name: 'Throttling' })));

    const response = await worker()(event(record(revokeA)));

    expect(response.batchItemFailures).toHaveLength(1);
    for (const role of BUILTIN) expect(fake.statements(role)).toHaveLength(1);
    expect(logged.find((line) => line.level === 'error')?.fields).toMatchObject({
      errorMessage: expect.stringContaining('the roles under /staxid/ (listing them failed)'),
    });
  });

  test('a malformed message fails, naming the field', async () => {
    new FakeIam(ALL_ROLES);
    const bad = record(JSON.stringify({ ...revokeA, awsAccountId: '12' }));

    const response = await worker()(event(bad));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(logged.find((line) => line.level === 'error')?.fields).toMatchObject({
      errorName: 'RevocationMessageError',
      errorMessage: expect.stringContaining('awsAccountId'),
    });
    expect(iam.calls()).toHaveLength(0);
  });
});
