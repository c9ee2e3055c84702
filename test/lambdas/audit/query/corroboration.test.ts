import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
// fromTemporaryCredentials assumes roles with the SDK's internal STS client, not @aws-sdk/client-sts.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_READ_BUDGET } from '@/lambdas/audit/query/audit-events';
import {
  type CloudTrailLookup,
  MemberCloudTrailLookup,
  noCloudTrail,
} from '@/lambdas/audit/query/corroboration';
import { FileAuditEventStore } from '@/lambdas/audit/query/event-store';
import { readAuditEventsHandler } from '@/lambdas/audit/query/read-audit-events';
import { type AuditEvent, auditEvent, FileAuditSink } from '@/lambdas/shared/audit';
import type { Logger } from '@/lambdas/shared/logger';
import { ADMIN, invoke } from '@/test/support/api-event';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const MEMBER = '123456789012';
const ROLE = `arn:aws:iam::${MEMBER}:role/staxid-admin-role`;
const AUDIT_READER = 'arn:aws:iam::222222222222:role/staxid-audit-reader';
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

const cloudTrail = mockClient(CloudTrailClient);
const sts = mockClient(STSClient);

type Corroborated = AuditEvent & { Corroboration?: { Status: string; CloudTrailEventId?: string } };

function signIn(userId: string, time: string, outcome: AuditEvent['outcome'] = 'SUCCESS'): AuditEvent {
  return auditEvent({
    type: 'aws.SignIn',
    actor: { type: 'user', id: userId },
    // As lambdas/signin/sign-in-service.ts records an attempt.
    targets: [
      { type: 'account', id: MEMBER },
      { type: 'role', id: 'staxid-admin-role' },
    ],
    detail: { accountId: MEMBER, roleName: 'staxid-admin-role', mode: 'console', roleArn: ROLE },
    outcome,
    time: new Date(time),
  });
}

/** A CloudTrail AssumeRoleWithSAML record as LookupEvents returns it. */
function trailEvent(
  eventId: string,
  time: string,
  roleArn: string,
  sourceIdentity: string,
  errorCode?: string,
) {
  return {
    EventId: eventId,
    EventName: 'AssumeRoleWithSAML',
    EventTime: new Date(time),
    CloudTrailEvent: JSON.stringify({
      eventName: 'AssumeRoleWithSAML',
      eventTime: time,
      ...(errorCode && { errorCode }),
      requestParameters: { roleArn, principalArn: `arn:aws:iam::${MEMBER}:saml-provider/staxid` },
      responseElements: errorCode ? null : { sourceIdentity },
    }),
  };
}

let root: string;
const alice = signIn('user-alice', '2026-11-30T11:00:00.000Z');
const bob = signIn('user-bob', '2026-11-30T10:00:00.000Z');
const refused = signIn('user-carol', '2026-11-30T09:00:00.000Z', 'FAILURE');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'staxid-audit-corroboration-'));
  const sink = new FileAuditSink(root);
  for (const event of [alice, bob, refused]) await sink.write(event);
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => {
  cloudTrail.reset();
  sts.reset();
});

function handlerWith(lookup: CloudTrailLookup) {
  return readAuditEventsHandler(() => ({
    store: new FileAuditEventStore(root),
    cloudTrail: lookup,
    clock: { now: () => new Date(NOW) },
    logger: quiet,
    budget: DEFAULT_READ_BUDGET,
  }));
}

const mockedLookup = () =>
  new MemberCloudTrailLookup({
    readerRoleArn: AUDIT_READER,
    regions: ['eu-west-1'],
    client: () => new CloudTrailClient({}),
  });

async function corroborated(lookup: CloudTrailLookup, query: Record<string, string> = {}) {
  const response = await invoke(handlerWith(lookup), {
    caller: ADMIN,
    query: { type: 'aws.SignIn', corroborate: 'true', ...query },
  });
  expect(response.status).toBe(200);
  return (response.body as { Events: Corroborated[] }).Events;
}

describe('corroborate=true', () => {
  it('confirms a sign-in CloudTrail recorded for the same role and SourceIdentity, and says NOT_FOUND otherwise', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [
        trailEvent('ct-other-user', '2026-11-30T11:00:01Z', ROLE, 'user-mallory'),
        trailEvent('ct-other-role', '2026-11-30T11:00:01Z', `arn:aws:iam::${MEMBER}:role/x`, 'user-alice'),
        trailEvent('ct-failed', '2026-11-30T11:00:01Z', ROLE, 'user-alice', 'AccessDenied'),
        trailEvent('ct-alice-later', '2026-11-30T11:05:00Z', ROLE, 'user-alice'),
        trailEvent('ct-alice', '2026-11-30T11:00:02Z', ROLE, 'user-alice'),
      ],
    });

    const events = await corroborated(mockedLookup());

    expect(events.map((e) => [e.eventId, e.Corroboration])).toEqual([
      [alice.eventId, { Status: 'CONFIRMED', CloudTrailEventId: 'ct-alice' }],
      [bob.eventId, { Status: 'NOT_FOUND' }],
      [refused.eventId, undefined],
    ]);
  });

  it('looks up AssumeRoleWithSAML within ten minutes of the sign-in', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });

    await corroborated(mockedLookup(), { user_id: 'user-alice' });

    const input = cloudTrail.commandCalls(LookupEventsCommand)[0]?.args[0].input as LookupEventsCommandInput;
    expect(input).toEqual({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'AssumeRoleWithSAML' }],
      StartTime: new Date('2026-11-30T10:50:00.000Z'),
      EndTime: new Date('2026-11-30T11:10:00.000Z'),
      MaxResults: 50,
    });
  });

  it('answers UNAVAILABLE, not an error, when CloudTrail throttles or fails', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .rejects(new Error('socket hang up'));

    const events = await corroborated(mockedLookup());

    expect(events.map((e) => e.Corroboration?.Status)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', undefined]);
  });

  it('answers UNAVAILABLE in local mode, which has no CloudTrail', async () => {
    const events = await corroborated(noCloudTrail);

    expect(events.map((e) => e.Corroboration?.Status)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', undefined]);
  });

  it('reads CloudTrail as the read-only staxid-cloudtrail-reader, reached through the audit reader role, never the deployer', async () => {
    // The mock bypasses the SDK's signing, so each assumption resolves its own caller's credentials.
    const assumedWith = new Map<string, string>();
    sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }, getClient) => {
      const caller = await getClient().config.credentials();
      assumedWith.set(input.RoleArn, caller.accessKeyId);
      return {
        Credentials: {
          AccessKeyId: input.RoleArn === AUDIT_READER ? 'ASIAAUDITREADER' : 'ASIACLOUDTRAILREADER',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(Date.now() + 900_000),
        },
      };
    });
    let usedKey: string | undefined;
    cloudTrail.on(LookupEventsCommand).callsFake(async (_input, getClient) => {
      usedKey = (await getClient().config.credentials()).accessKeyId;
      return { Events: [] };
    });
    const lookup = new MemberCloudTrailLookup({ readerRoleArn: AUDIT_READER, regions: ['eu-west-1'] });

    await corroborated(lookup, { user_id: 'user-alice' });

    expect(usedKey).toBe('ASIACLOUDTRAILREADER');
    expect([...assumedWith.keys()].sort()).toEqual([
      `arn:aws:iam::${MEMBER}:role/staxid-cloudtrail-reader`,
      AUDIT_READER,
    ]);
    expect(assumedWith.get(`arn:aws:iam::${MEMBER}:role/staxid-cloudtrail-reader`)).toBe('ASIAAUDITREADER');
  });
});
