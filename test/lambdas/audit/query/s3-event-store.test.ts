import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
// fromTemporaryCredentials assumes roles with the SDK's internal STS client, not @aws-sdk/client-sts.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_READ_BUDGET } from '@/lambdas/audit/query/audit-events';
import { noCloudTrail } from '@/lambdas/audit/query/corroboration';
import { hourPrefix } from '@/lambdas/audit/query/event-store';
import { readAuditEventsHandler } from '@/lambdas/audit/query/read-audit-events';
import { S3AuditEventStore } from '@/lambdas/audit/query/s3-event-store';
import { type AuditEvent, auditEvent, auditObjectKey } from '@/lambdas/shared/audit';
import { mapWithConcurrency } from '@/lambdas/shared/concurrency';
import { ADMIN, invoke } from '@/test/support/api-event';

const BUCKET = 'staxid-audit-333333333333-eu-west-1';
const READER = 'arn:aws:iam::222222222222:role/staxid-audit-reader';
const HOUR = Date.parse('2026-11-30T10:00:00.000Z');

const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);

/** A bucket in memory, served through ListObjectsV2 (pages of `pageSize`) and GetObject. */
function serveBucket(
  objects: Map<string, string>,
  pageSize = 1000,
): { inFlight: () => number; maxInFlight: () => number } {
  let inFlight = 0;
  let maxInFlight = 0;
  s3.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
    expect(input.Bucket).toBe(BUCKET);
    const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      IsTruncated: more,
      ...(more && { NextContinuationToken: String(start + pageSize) }),
    };
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight -= 1;
    const text = objects.get(input.Key);
    if (text === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } } as unknown as GetObjectCommandOutput;
  });
  return { inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}

function stored(events: readonly AuditEvent[]): Map<string, string> {
  return new Map(events.map((event) => [auditObjectKey(event), JSON.stringify(event)]));
}

function eventAt(iso: string): AuditEvent {
  return auditEvent({ type: 'aws.SignIn', actor: { type: 'user', id: 'u1' }, time: new Date(iso) });
}

afterEach(() => {
  s3.reset();
  sts.reset();
});

describe('S3AuditEventStore', () => {
  it('reads every event of the hour, across ListObjectsV2 pages, and nothing of other hours', async () => {
    const inHour = Array.from({ length: 7 }, (_, i) => eventAt(`2026-11-30T10:0${i}:00.000Z`));
    const otherHours = [eventAt('2026-11-30T09:59:59.999Z'), eventAt('2026-11-30T11:00:00.000Z')];
    serveBucket(stored([...inHour, ...otherHours]), 3);
    const store = new S3AuditEventStore({
      bucket: BUCKET,
      readerRoleArn: READER,
      region: 'eu-west-1',
      s3: new S3Client({}),
    });

    const events = await store.eventsInHour(HOUR);

    expect(events.map((e) => e.eventId).sort()).toEqual(inHour.map((e) => e.eventId).sort());
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(3);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input.Prefix).toBe('events/2026/11/30/10/');
  });

  it('reads at most `concurrency` objects at a time', async () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      eventAt(`2026-11-30T10:${String(i).padStart(2, '0')}:00.000Z`),
    );
    const bucket = serveBucket(stored(events));
    const store = new S3AuditEventStore({
      bucket: BUCKET,
      readerRoleArn: READER,
      region: 'eu-west-1',
      concurrency: 4,
      s3: new S3Client({}),
    });

    expect(await store.eventsInHour(HOUR)).toHaveLength(40);
    expect(bucket.maxInFlight()).toBe(4);
  });

  it('skips objects that are not audit events', async () => {
    const good = eventAt('2026-11-30T10:30:00.000Z');
    const objects = stored([good]);
    objects.set(`${hourPrefix(HOUR)}truncated.json`, '{"eventId":');
    objects.set(`${hourPrefix(HOUR)}other.json`, '{"hello":"world"}');
    serveBucket(objects);
    const store = new S3AuditEventStore({
      bucket: BUCKET,
      readerRoleArn: READER,
      region: 'eu-west-1',
      s3: new S3Client({}),
    });

    expect(await store.eventsInHour(HOUR)).toEqual([good]);
  });

  it('reads through the audit reader role', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAREADER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 900_000),
      },
    });
    let usedKey: string | undefined;
    s3.on(ListObjectsV2Command).callsFake(async (_input, getClient) => {
      usedKey = (await getClient().config.credentials()).accessKeyId;
      return { Contents: [] };
    });
    const store = new S3AuditEventStore({ bucket: BUCKET, readerRoleArn: READER, region: 'eu-west-1' });

    await store.eventsInHour(HOUR);

    expect(usedKey).toBe('ASIAREADER');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: READER,
      RoleSessionName: 'staxid-audit-reader',
    });
  });

  it('fails when the bucket cannot be read (the handler answers 500, nothing partial)', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const store = new S3AuditEventStore({
      bucket: BUCKET,
      readerRoleArn: READER,
      region: 'eu-west-1',
      s3: new S3Client({}),
    });

    await expect(store.eventsInHour(HOUR)).rejects.toThrow('Access Denied');
  });
});

describe('audit.ReadAuditEvents over the bucket', () => {
  it('pages through events across hours and days, newest first, each once', async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      eventAt(new Date(Date.parse('2026-11-29T22:00:00.000Z') + i * 7 * 60_000).toISOString()),
    );
    serveBucket(stored(events), 4);
    const store = new S3AuditEventStore({
      bucket: BUCKET,
      readerRoleArn: READER,
      region: 'eu-west-1',
      s3: new S3Client({}),
    });
    const handler = readAuditEventsHandler(() => ({
      store,
      cloudTrail: noCloudTrail,
      clock: { now: () => new Date('2026-11-30T12:00:00.000Z') },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      budget: DEFAULT_READ_BUDGET,
    }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const response = await invoke(handler, {
        caller: ADMIN,
        query: { limit: '7', ...(token && { next_token: token }) },
      });
      expect(response.status).toBe(200);
      const body = response.body as { Events: AuditEvent[]; NextToken?: string };
      seen.push(...body.Events.map((e) => e.eventId));
      token = body.NextToken;
    } while (token);

    expect(seen).toEqual(events.map((e) => e.eventId).reverse());
  });
});

describe('mapWithConcurrency', () => {
  it('keeps the input order', async () => {
    const delays = [5, 1, 3, 0, 2];

    const results = await mapWithConcurrency(delays, 2, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms * 10;
    });

    expect(results).toEqual([50, 10, 30, 0, 20]);
  });
});
