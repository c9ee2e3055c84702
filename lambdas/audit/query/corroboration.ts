import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AWS_SIGN_IN_EVENT_TYPE } from '@/lambdas/audit/query/audit-query';
import type { AuditEvent } from '@/lambdas/shared/audit';
import { CLOUDTRAIL_READER_ROLE_NAME, roleArn } from '@/lambdas/shared/constants';
import { errorFields, type Logger } from '@/lambdas/shared/logger';

/**
 * Corroboration of AWS sign-ins: staxid's own event says an assertion was issued for a
 * role; CloudTrail in the member account says whether AWS then ran AssumeRoleWithSAML for
 * that role with the user as SourceIdentity. CloudTrail being slow, throttled or
 * unreachable never fails the query: the event is then UNAVAILABLE.
 */

export interface Corroboration {
  readonly Status: 'CONFIRMED' | 'NOT_FOUND' | 'UNAVAILABLE';
  readonly CloudTrailEventId?: string;
}

/** Finds AssumeRoleWithSAML events in one member account. */
export interface CloudTrailLookup {
  /** The CloudTrailEvent JSON documents (with their EventId) of AssumeRoleWithSAML in [startMs, endMs]. */
  assumeRoleWithSamlEvents(accountId: string, startMs: number, endMs: number): Promise<CloudTrailRecord[]>;
}

export interface CloudTrailRecord {
  readonly eventId: string;
  readonly eventTimeMs: number;
  /** The parsed `CloudTrailEvent` document. */
  readonly document: unknown;
}

/** How far from staxid's event time the AWS-side event may be (clock skew, a slow browser post). */
export const CORROBORATION_WINDOW_MS = 10 * 60 * 1000;

/** The role ARN an `aws.SignIn` event is about: the first IAM role ARN in its targets or detail. */
export function signedInRoleArn(event: AuditEvent): string | undefined {
  const candidates = [...event.target.map((target) => target.id), ...stringsIn(event.detail, 3)];
  return candidates.find((value) => ROLE_ARN.test(value));
}

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

function stringsIn(value: unknown, depth: number): string[] {
  if (typeof value === 'string') return [value];
  if (depth === 0 || typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap((item) => stringsIn(item, depth - 1));
}

/** Attaches a Corroboration to every successful `aws.SignIn` event; other events pass unchanged. */
export async function corroborateSignIns(
  events: readonly AuditEvent[],
  lookup: CloudTrailLookup,
  logger: Logger,
): Promise<Array<AuditEvent & { Corroboration?: Corroboration }>> {
  const results = [];
  // One at a time: LookupEvents allows 2 calls per second per account and region.
  for (const event of events) {
    const corroborable = event.staxEventType === AWS_SIGN_IN_EVENT_TYPE && event.outcome === 'SUCCESS';
    results.push(
      corroborable ? { ...event, Corroboration: await corroborate(event, lookup, logger) } : event,
    );
  }
  return results;
}

async function corroborate(
  event: AuditEvent,
  lookup: CloudTrailLookup,
  logger: Logger,
): Promise<Corroboration> {
  const role = signedInRoleArn(event);
  const accountId = role?.split(':')[4];
  if (!role || !accountId) return { Status: 'UNAVAILABLE' };
  const timeMs = Date.parse(event.time);
  let records: CloudTrailRecord[];
  try {
    records = await lookup.assumeRoleWithSamlEvents(
      accountId,
      timeMs - CORROBORATION_WINDOW_MS,
      timeMs + CORROBORATION_WINDOW_MS,
    );
  } catch (error) {
    logger.warn('CloudTrail lookup failed: sign-in left uncorroborated', {
      eventId: event.eventId,
      accountId,
      ...errorFields(error),
    });
    return { Status: 'UNAVAILABLE' };
  }
  const match = records
    .filter((record) => isSignInOf(record.document, role, event.actor.id))
    .sort((a, b) => Math.abs(a.eventTimeMs - timeMs) - Math.abs(b.eventTimeMs - timeMs))[0];
  return match ? { Status: 'CONFIRMED', CloudTrailEventId: match.eventId } : { Status: 'NOT_FOUND' };
}

/** The CloudTrail record is a successful AssumeRoleWithSAML of `role` with SourceIdentity `userId`. */
function isSignInOf(document: unknown, role: string, userId: string): boolean {
  const record = document as {
    errorCode?: unknown;
    requestParameters?: { roleArn?: unknown; sourceIdentity?: unknown };
    responseElements?: { sourceIdentity?: unknown };
  } | null;
  if (!record || record.errorCode !== undefined) return false;
  const sourceIdentity = record.responseElements?.sourceIdentity ?? record.requestParameters?.sourceIdentity;
  return record.requestParameters?.roleArn === role && sourceIdentity === userId;
}

export interface MemberCloudTrailLookupOptions {
  /**
   * `staxid-audit-reader` in the security account (the credentials the audit query already
   * reads the bucket with): the only role member accounts' `staxid-cloudtrail-reader` trusts.
   */
  readonly readerRoleArn: string;
  /** Regions to search: console sign-ins land in us-east-1 (global STS), CLI ones in the region called. */
  readonly regions: readonly string[];
  /** @default a client using audit reader → `staxid-cloudtrail-reader` credentials in the account */
  readonly client?: (accountId: string, region: string) => CloudTrailClient;
}

/**
 * Looks up CloudTrail in member accounts through audit reader role → `staxid-cloudtrail-reader`,
 * which can only call `cloudtrail:LookupEvents`: the audit query can change nothing there.
 */
export class MemberCloudTrailLookup implements CloudTrailLookup {
  private readonly clients = new Map<string, CloudTrailClient>();

  constructor(private readonly options: MemberCloudTrailLookupOptions) {}

  async assumeRoleWithSamlEvents(
    accountId: string,
    startMs: number,
    endMs: number,
  ): Promise<CloudTrailRecord[]> {
    const perRegion = await Promise.all(
      this.options.regions.map((region) => this.lookUp(this.client(accountId, region), startMs, endMs)),
    );
    return perRegion.flat();
  }

  private async lookUp(
    client: CloudTrailClient,
    startMs: number,
    endMs: number,
  ): Promise<CloudTrailRecord[]> {
    const page = await client.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'AssumeRoleWithSAML' }],
        StartTime: new Date(startMs),
        EndTime: new Date(endMs),
        MaxResults: 50,
      }),
    );
    return (page.Events ?? []).flatMap((event) => {
      const document = parseJson(event.CloudTrailEvent);
      if (!event.EventId || document === undefined) return [];
      return [{ eventId: event.EventId, eventTimeMs: event.EventTime?.getTime() ?? 0, document }];
    });
  }

  private client(accountId: string, region: string): CloudTrailClient {
    const key = `${accountId}/${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.options.client?.(accountId, region) ?? this.readerClient(accountId, region);
      this.clients.set(key, client);
    }
    return client;
  }

  private readerClient(accountId: string, region: string): CloudTrailClient {
    const auditReader = fromTemporaryCredentials({
      params: { RoleArn: this.options.readerRoleArn, RoleSessionName: 'staxid-audit-corroboration' },
      clientConfig: { region },
    });
    return new CloudTrailClient({
      region,
      credentials: fromTemporaryCredentials({
        masterCredentials: auditReader,
        params: {
          RoleArn: roleArn(partitionOf(this.options.readerRoleArn), accountId, CLOUDTRAIL_READER_ROLE_NAME),
          RoleSessionName: 'staxid-audit-corroboration',
          DurationSeconds: 900,
        },
        clientConfig: { region },
      }),
    });
  }
}

function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Local mode has no CloudTrail: every sign-in is UNAVAILABLE. */
export const noCloudTrail: CloudTrailLookup = {
  assumeRoleWithSamlEvents: () => Promise.reject(new Error('CloudTrail is not available in local mode')),
};
