/**
 * The SCIM list benchmark (issue 5, "Done when"): 10,000 SCIM users in the table, written with
 * the items `POST /scim/v2/Users` writes (lambdas/scim builders), and the real SCIM handler
 * (`scimApiHandler` of lambdas/scim/scim-api.ts, its dependencies injected as the tests do)
 * asked `GET /scim/v2/Users?filter=…` in-process with a real SCIM token. `npm run bench` counts
 * each request's DynamoDB calls through the counting proxy and fails the run when an indexed
 * `eq` lookup (userName, externalId, id) costs a Scan or more than one read.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ScimDeps } from '@/lambdas/scim/deps';
import { scimApiHandler } from '@/lambdas/scim/scim-api';
import { SCHEMAS } from '@/lambdas/scim/scim-resource';
import { createScimToken } from '@/lambdas/scim/scim-tokens';
import { parseScimUser, scimItemAttributes } from '@/lambdas/scim/scim-user-schema';
import { newScimUserRecord } from '@/lambdas/scim/scim-users';
import { MemoryAuditSink } from '@/lambdas/shared/audit';
import { createDb, systemClock } from '@/lambdas/shared/db';
import type { UserDirectory } from '@/lambdas/shared/directory';
import { newId } from '@/lambdas/shared/ids';
import type { Logger } from '@/lambdas/shared/logger';
import { hmacSecretHasher } from '@/lambdas/shared/secrets';
import { emailGuardKey, type Item, userItem } from '@/lambdas/users/user-model';

/** How many SCIM users the benchmark provisions. */
export const SCIM_BENCH_USERS = 10_000;

/** Every this-many-th user has a work email at x.com: the `ew "@x.com"` filter selects them. */
const X_COM_EVERY = 100;
/** The user the `eq` filters look up: in the middle of the key range, not the first item of a page. */
const LOOKED_UP = 4242;
const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A seeded SCIM user: what the filters select on. */
export interface SeededScimUser {
  readonly index: number;
  readonly id: string;
  readonly userName: string;
  readonly externalId: string;
  readonly familyName: string;
}

/** The JSON body an identity provider (Okta-like) sends to provision the `index`-th bench user. */
export function scimBenchUserBody(index: number): Record<string, unknown> {
  const number = String(index).padStart(5, '0');
  const email = `scim-${number}@${index % X_COM_EVERY === 0 ? 'x.com' : 'example.com'}`;
  return {
    schemas: [SCHEMAS.user, SCHEMAS.enterpriseUser],
    userName: email,
    externalId: `00u${number}`,
    name: { givenName: 'Scim', familyName: `User ${number}` },
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
    [SCHEMAS.enterpriseUser]: { department: `Department ${index % 20}` },
  };
}

/**
 * The items `createScimUser` (lambdas/scim/scim-users.ts) writes for `body`: the user item with
 * its SCIM attributes, and the email guard that makes `userName` unique. test/bench checks
 * them against what the handler writes, so that the seeded table cannot drift from the real one.
 */
export function scimUserItems(body: unknown, id: string, createdBy: string, now: string): Item[] {
  const input = parseScimUser(body);
  const user = newScimUserRecord(input, id, createdBy, now);
  return [
    { ...userItem(user), ...scimItemAttributes(input) },
    { ...emailGuardKey(input.userName), UserId: id },
  ];
}

/** The bench users' items (two per user) and what the filters need to know of them. */
export function scimBenchSeed(count: number, createdBy: string, now: string) {
  const users: SeededScimUser[] = [];
  const items: Item[] = [];
  for (let index = 0; index < count; index++) {
    const body = scimBenchUserBody(index);
    const id = newId();
    items.push(...scimUserItems(body, id, createdBy, now));
    const name = body.name as { familyName: string };
    users.push({
      index,
      id,
      userName: String(body.userName),
      externalId: String(body.externalId),
      familyName: name.familyName,
    });
  }
  return { users, items };
}

/** One measured filter. */
export interface ScimFilterCase {
  readonly filter: string;
  /** An `eq` on an indexed attribute: one DynamoDB read, or the bench fails. */
  readonly indexed: boolean;
  /** totalResults the answer must report. */
  readonly expectedResults: number;
}

/** The filters measured: the three indexed lookups (one AND-ed with more), and two that need every user. */
export function scimFilterCases(users: readonly SeededScimUser[]): ScimFilterCase[] {
  const target = users[LOOKED_UP] ?? users[users.length - 1];
  if (!target) throw new Error('no SCIM users seeded');
  const count = (selected: (user: SeededScimUser) => boolean) => users.filter(selected).length;
  return [
    { filter: `userName eq "${target.userName}"`, indexed: true, expectedResults: 1 },
    { filter: `externalId eq "${target.externalId}"`, indexed: true, expectedResults: 1 },
    { filter: `id eq "${target.id}"`, indexed: true, expectedResults: 1 },
    { filter: `userName eq "${target.userName}" and active eq true`, indexed: true, expectedResults: 1 },
    {
      filter: 'name.familyName co "999"',
      indexed: false,
      expectedResults: count((user) => user.familyName.includes('999')),
    },
    {
      filter: 'emails[type eq "work"].value ew "@x.com"',
      indexed: false,
      expectedResults: count((user) => user.index % X_COM_EVERY === 0),
    },
  ];
}

/**
 * Why the DynamoDB calls of an indexed lookup break issue 5's rule (one Query or GetItem, never a
 * Scan), or undefined when they keep it. `calls`: operation → calls per request, the SCIM token
 * check excluded.
 */
export function indexedLookupViolation(calls: Readonly<Record<string, number>>): string | undefined {
  const total = Object.values(calls).reduce((sum, value) => sum + value, 0);
  const seen = JSON.stringify(calls);
  if ((calls.Scan ?? 0) > 0) return `it made a Scan (${seen})`;
  if (total !== 1) return `it made ${total} DynamoDB calls per request, not one read (${seen})`;
  if (!calls.Query && !calls.GetItem) return `its one call is not a Query or GetItem (${seen})`;
  return undefined;
}

/** What one list request answered, and what it read. */
export interface ScimListOutcome {
  readonly totalResults: number;
  readonly itemsPerPage: number;
  /** Items DynamoDB returned to the list (the SCIM token's item not included). */
  readonly itemsRead: number;
}

/** Which part of a SCIM request a DynamoDB call belongs to: the token check, or the operation. */
export type ScimPhase = 'authorizer' | 'handler';

/** The SCIM handler wired to the bench table, with a SCIM token of its own. */
export interface ScimListBench {
  /** `GET /scim/v2/Users?filter=…`; throws unless 200 with `expectedResults` results. */
  list(filterCase: ScimFilterCase): Promise<ScimListOutcome>;
  close(): void;
}

/** A directory the list never calls: the bench users never signed in, so they have no pool user. */
const NO_DIRECTORY: UserDirectory = {
  createUser: refuse,
  resendInvitation: refuse,
  resetPassword: refuse,
  disable: refuse,
  enable: refuse,
  deleteUser: refuse,
  updateAttributes: refuse,
};

function refuse(): Promise<void> {
  return Promise.reject(new Error('the SCIM list benchmark calls no user directory'));
}

/**
 * The SCIM handler over `tableName` at `endpoint` (the counting proxy). The handler checks the
 * SCIM token with its first DynamoDB call, before anything else (scim-api.ts `serve`): each
 * request starts in phase `authorizer`, and `onPhase('handler')` is called once that first call
 * has answered, so that the proxy counts the token check apart from the list.
 */
export async function startScimListBench(options: {
  readonly endpoint: string;
  readonly region: string;
  readonly tableName: string;
  readonly onPhase: (phase: ScimPhase) => void;
}): Promise<ScimListBench> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: CREDENTIALS,
  });
  /** The list request in progress (none while the token is made): its calls so far and items read. */
  const request = { listing: false, calls: 0, itemsRead: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!request.listing) return next(args);
      const first = request.calls === 0;
      request.calls += 1;
      if (first && context.commandName !== 'GetItemCommand') {
        throw new Error(
          `the SCIM handler's first DynamoDB call is ${context.commandName}, not the token's GetItem`,
        );
      }
      const result = await next(args);
      if (first) options.onPhase('handler');
      else request.itemsRead += itemsIn(result.output);
      return result;
    },
    { step: 'initialize', name: 'staxidBenchScimPhase' },
  );
  const deps: ScimDeps = {
    db: createDb(options.tableName, client),
    clock: systemClock,
    audit: new MemoryAuditSink(),
    hasher: hmacSecretHasher(randomBytes(32)),
    directory: NO_DIRECTORY,
    organisationId: 'o-staxidbench',
    logger: SILENT,
  };
  const { Token: token } = await createScimToken(
    deps,
    { kind: 'token', id: 'staxid-bench', role: 'customer_admin' },
    { Description: 'npm run bench' },
    newId(),
  );
  const handler = scimApiHandler(() => deps);
  return {
    async list(filterCase) {
      Object.assign(request, { listing: true, calls: 0, itemsRead: 0 });
      options.onPhase('authorizer');
      const result = await handler(listEvent(token, filterCase.filter)).finally(() => {
        request.listing = false;
      });
      if (result.statusCode !== 200) {
        throw new Error(`SCIM list ${filterCase.filter}: ${result.statusCode} ${result.body.slice(0, 300)}`);
      }
      const body = JSON.parse(result.body) as { totalResults?: unknown; itemsPerPage?: unknown };
      if (body.totalResults !== filterCase.expectedResults) {
        throw new Error(
          `SCIM list ${filterCase.filter}: totalResults ${String(body.totalResults)}, expected ${filterCase.expectedResults}`,
        );
      }
      return {
        totalResults: filterCase.expectedResults,
        itemsPerPage: Number(body.itemsPerPage),
        itemsRead: request.itemsRead,
      };
    },
    close: () => client.destroy(),
  };
}

/** Items in a DynamoDB answer: a Query's or Scan's Count, one for a GetItem that found its item. */
function itemsIn(output: unknown): number {
  if (typeof output !== 'object' || output === null) return 0;
  const answer = output as { Count?: unknown; Item?: unknown };
  if (typeof answer.Count === 'number') return answer.Count;
  return answer.Item === undefined ? 0 : 1;
}

/** The API Gateway event of `GET /scim/v2/Users?filter=…` as an identity provider sends it. */
function listEvent(token: string, filter: string): APIGatewayProxyEvent {
  const path = '/scim/v2/Users';
  return {
    httpMethod: 'GET',
    path,
    resource: '/scim/v2/{proxy+}',
    body: null,
    isBase64Encoded: false,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/scim+json', Host: 'localhost' },
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: { filter },
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: newId() } as APIGatewayProxyEvent['requestContext'],
  };
}
