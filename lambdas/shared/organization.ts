import { readFile } from 'node:fs/promises';
import { type Account, ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { ORGANIZATION_ENV } from '@/lambdas/shared/constants';

/**
 * The Organizations port: the member accounts of the AWS Organization, as DiscoverAccounts
 * needs them. In AWS, `AwsOrganization` assumes a role in the management account and pages
 * `ListAccounts`; locally, `SimulatedOrganization` reads a JSON description (see
 * local/organization.ts). Domain code depends only on the `Organization` interface.
 */

/** The lifecycle state of an account, as AWS Organizations reports it (`State`, else `Status`). */
export type OrganizationAccountState =
  | 'PENDING_ACTIVATION'
  | 'ACTIVE'
  | 'SUSPENDED'
  | 'PENDING_CLOSURE'
  | 'CLOSED';

export interface OrganizationAccount {
  /** The 12-digit AWS account id. */
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly state: OrganizationAccountState;
  /** ISO 8601, when AWS reports it. */
  readonly joinedAt?: string;
}

export interface Organization {
  /** Every account of the organization, the management account included. */
  listAccounts(): Promise<OrganizationAccount[]>;
}

/** The organization could not be read, or described an account staxid cannot take in. */
export class OrganizationError extends Error {
  readonly code = 'OrganizationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrganizationError';
  }
}

const ACCOUNT_ID = /^\d{12}$/;
const STATES: readonly OrganizationAccountState[] = [
  'PENDING_ACTIVATION',
  'ACTIVE',
  'SUSPENDED',
  'PENDING_CLOSURE',
  'CLOSED',
];

function isState(value: unknown): value is OrganizationAccountState {
  return typeof value === 'string' && (STATES as readonly string[]).includes(value);
}

// ---- AWS ------------------------------------------------------------------------------------

export interface AwsOrganizationOptions {
  /** A role in the management account that may call `organizations:ListAccounts`. */
  readonly roleArn: string;
  /** @default 'us-east-1' (the Organizations endpoint of the aws partition) */
  readonly region?: string;
  /** @default an STS client in the function's own region */
  readonly sts?: STSClient;
  /** @default 'staxid-discover-accounts' */
  readonly sessionName?: string;
}

interface AssumedClient {
  readonly client: OrganizationsClient;
  /** Epoch ms after which the credentials must be renewed. */
  readonly renewAt: number;
}

/** Renew assumed credentials this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
/** ListAccounts returns at most 20 accounts a page. */
const LIST_ACCOUNTS_PAGE_SIZE = 20;
/** A guard against a NextToken that never ends (an organization holds at most a few thousand accounts). */
const MAX_PAGES = 1000;

export class AwsOrganization implements Organization {
  private readonly sts: STSClient;
  private assumed: AssumedClient | undefined;

  constructor(private readonly options: AwsOrganizationOptions) {
    this.sts = options.sts ?? new STSClient({});
  }

  async listAccounts(): Promise<OrganizationAccount[]> {
    const client = await this.client();
    const accounts: OrganizationAccount[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await client.send(
        new ListAccountsCommand({ MaxResults: LIST_ACCOUNTS_PAGE_SIZE, NextToken: nextToken }),
      );
      for (const account of response.Accounts ?? []) accounts.push(fromAwsAccount(account));
      nextToken = response.NextToken;
      if (!nextToken) return accounts;
    }
    throw new OrganizationError(`ListAccounts returned more than ${MAX_PAGES} pages`);
  }

  private async client(): Promise<OrganizationsClient> {
    if (this.assumed && Date.now() < this.assumed.renewAt) return this.assumed.client;
    let response: AssumeRoleCommandOutput;
    try {
      response = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: this.options.roleArn,
          RoleSessionName: this.options.sessionName ?? 'staxid-discover-accounts',
          DurationSeconds: 900,
        }),
      );
    } catch (error) {
      throw new OrganizationError(`could not assume ${this.options.roleArn}`, { cause: error });
    }
    const credentials = response.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
      throw new OrganizationError(`AssumeRole on ${this.options.roleArn} returned no credentials`);
    }
    const expiration = credentials.Expiration ?? new Date(Date.now() + 15 * 60 * 1000);
    this.assumed?.client.destroy();
    const client = new OrganizationsClient({
      region: this.options.region ?? 'us-east-1',
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
        expiration,
      },
    });
    this.assumed = { client, renewAt: expiration.getTime() - RENEW_BEFORE_MS };
    return client;
  }
}

function fromAwsAccount(account: Account): OrganizationAccount {
  const id = account.Id ?? '';
  if (!ACCOUNT_ID.test(id))
    throw new OrganizationError(`ListAccounts returned an account id ${JSON.stringify(id)}`);
  const state = account.State ?? account.Status;
  return {
    id,
    name: account.Name ?? id,
    email: account.Email ?? '',
    state: isState(state) ? state : 'ACTIVE',
    ...(account.JoinedTimestamp && { joinedAt: account.JoinedTimestamp.toISOString() }),
  };
}

// ---- simulated --------------------------------------------------------------------------------

/**
 * The JSON description of a simulated organization (`$STAXID_HOME/organization.json`). Accounts
 * use the field names of the Organizations API's `Account`:
 *
 * ```json
 * { "OrganizationId": "o-local000000",
 *   "ManagementAccountId": "100000000001", "SecurityAccountId": "100000000002", "LoggingAccountId": "100000000003",
 *   "Accounts": [{ "Id": "100000000001", "Name": "management", "Email": "management@example.com", "State": "ACTIVE" }] }
 * ```
 */
export interface SimulatedOrganizationDescription {
  readonly OrganizationId: string;
  readonly ManagementAccountId: string;
  readonly SecurityAccountId?: string;
  readonly LoggingAccountId?: string;
  readonly Accounts: readonly {
    readonly Id: string;
    readonly Name: string;
    readonly Email: string;
    readonly State?: OrganizationAccountState;
  }[];
}

/** Checks a simulated organization; the error names the offending field of `source`. */
export function parseSimulatedOrganization(value: unknown, source: string): SimulatedOrganizationDescription {
  const fail = (field: string, what: string): never => {
    throw new OrganizationError(`${source}: ${field} ${what}`);
  };
  if (!isRecord(value)) return fail('the document', 'must be a JSON object');
  const organizationId = value.OrganizationId;
  if (typeof organizationId !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    fail('OrganizationId', 'must be an AWS Organizations id, e.g. "o-local00000"');
  }
  const ids: Record<string, string | undefined> = {};
  for (const field of ['ManagementAccountId', 'SecurityAccountId', 'LoggingAccountId'] as const) {
    const id = value[field];
    if (id === undefined && field !== 'ManagementAccountId') continue;
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) fail(field, 'must be a 12-digit account id');
    ids[field] = String(id);
  }
  const accounts = value.Accounts;
  if (!Array.isArray(accounts) || accounts.length === 0) return fail('Accounts', 'must be a non-empty array');
  const seen = new Set<string>();
  const parsed = accounts.map((account: unknown, index) => {
    const at = `Accounts[${index}]`;
    if (!isRecord(account)) return fail(at, 'must be an object');
    const { Id: id, Name: name, Email: email, State: state } = account;
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id))
      return fail(`${at}.Id`, 'must be a 12-digit account id');
    if (seen.has(id)) return fail(`${at}.Id`, `repeats account ${id}`);
    seen.add(id);
    if (typeof name !== 'string' || name.length < 1 || name.length > 50)
      return fail(`${at}.Name`, 'must be 1 to 50 characters');
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email))
      return fail(`${at}.Email`, 'must be an email address');
    if (state !== undefined && !isState(state))
      return fail(`${at}.State`, `must be one of ${STATES.join(', ')}`);
    return { Id: id, Name: name, Email: email, ...(state !== undefined && { State: state }) };
  });
  for (const [field, id] of Object.entries(ids)) {
    if (id !== undefined && !seen.has(id)) fail(field, `names ${id}, which is not in Accounts`);
  }
  return {
    OrganizationId: String(organizationId),
    ManagementAccountId: ids.ManagementAccountId ?? '',
    ...(ids.SecurityAccountId && { SecurityAccountId: ids.SecurityAccountId }),
    ...(ids.LoggingAccountId && { LoggingAccountId: ids.LoggingAccountId }),
    Accounts: parsed,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A simulated organization, from a description or from a file read at every call (so edits apply at once). */
export class SimulatedOrganization implements Organization {
  constructor(private readonly source: SimulatedOrganizationDescription | { readonly file: string }) {}

  async describe(): Promise<SimulatedOrganizationDescription> {
    if (!('file' in this.source)) return this.source;
    let text: string;
    try {
      text = await readFile(this.source.file, 'utf8');
    } catch (error) {
      throw new OrganizationError(`could not read ${this.source.file}`, { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new OrganizationError(`${this.source.file} is not valid JSON`, { cause: error });
    }
    return parseSimulatedOrganization(value, this.source.file);
  }

  async listAccounts(): Promise<OrganizationAccount[]> {
    const description = await this.describe();
    return description.Accounts.map((account) => ({
      id: account.Id,
      name: account.Name,
      email: account.Email,
      state: account.State ?? 'ACTIVE',
    }));
  }
}

let shared: Organization | undefined;

/**
 * The organization this function was configured with: a simulated one when
 * `STAXID_ORGANIZATION_FILE` or `STAXID_SIMULATED_ORGANIZATION` is set (local mode), else AWS
 * through `STAXID_ORGANIZATIONS_ROLE_ARN`. Built once per container.
 */
export function organizationFromEnv(env: NodeJS.ProcessEnv = process.env): Organization {
  if (shared) return shared;
  const file = env[ORGANIZATION_ENV.simulatedFile];
  const inline = env[ORGANIZATION_ENV.simulatedJson];
  const roleArn = env[ORGANIZATION_ENV.roleArn];
  if (file) shared = new SimulatedOrganization({ file });
  else if (inline) {
    let value: unknown;
    try {
      value = JSON.parse(inline);
    } catch (error) {
      throw new OrganizationError(`${ORGANIZATION_ENV.simulatedJson} is not valid JSON`, { cause: error });
    }
    shared = new SimulatedOrganization(parseSimulatedOrganization(value, ORGANIZATION_ENV.simulatedJson));
  } else if (roleArn) {
    const region = env[ORGANIZATION_ENV.region];
    shared = new AwsOrganization({ roleArn, ...(region && { region }) });
  } else {
    throw new OrganizationError(
      `organization not configured: set ${ORGANIZATION_ENV.roleArn} (AWS), or ${ORGANIZATION_ENV.simulatedFile} / ${ORGANIZATION_ENV.simulatedJson} (local)`,
    );
  }
  return shared;
}
