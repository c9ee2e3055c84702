import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { REVOCATION_POLICY_NAME } from '@/lambdas/revocation/revocation-policy';
import { AUTOMATION_ROLE_NAME, PERMISSION_SET_ROLE_PATH, roleArn } from '@/lambdas/shared/constants';
import { type RetryOptions, withRetries } from '@/lambdas/shared/retry';

/**
 * The port through which the worker edits the staxid roles of a member account. In AWS,
 * `IamRevocationTarget` reaches the account through `staxid-deployer` and the account's
 * `staxid-automation-role`; in local mode, where no member account exists, a stand-in
 * records the policies instead. The worker depends only on these interfaces.
 */
export interface RevocationTarget {
  /** The staxid roles of one member account. */
  account(awsAccountId: string): Promise<AccountRoles>;
}

export interface AccountRoles {
  /** Names of the account's permission-set roles: those under PERMISSION_SET_ROLE_PATH (the built-in ones are known by name). */
  listPermissionSetRoles(): Promise<string[]>;
  /** The role's revocation policy document (JSON), or undefined when it has none (or the role does not exist). */
  readPolicy(roleName: string): Promise<string | undefined>;
  /** Writes the role's revocation policy; `false` when the role does not exist. */
  writePolicy(roleName: string, document: string): Promise<boolean>;
  /** Deletes the role's revocation policy; a policy or role already gone is not an error. */
  deletePolicy(roleName: string): Promise<void>;
}

export interface IamRevocationTargetOptions {
  /** ARN of `staxid-deployer` in the security account (its partition is the member accounts' too). */
  readonly deployerRoleArn: string;
  /** @default an STS client in the function's own region */
  readonly sts?: STSClient;
  readonly retry?: RetryOptions;
}

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Renew assumed credentials this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
const SESSION_NAME = 'staxid-session-revocation';
/** The SDK's own retries are off: withRetries does them, with full jitter and a known bound. */
const NO_SDK_RETRIES = { maxAttempts: 1 } as const;

/** Whether an IAM error says the role (or its inline policy) does not exist. */
function isNoSuchEntity(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchEntity' || error.name === 'NoSuchEntityException');
}

/**
 * Member accounts reached through `staxid-deployer` → `staxid-automation-role`. Assumed
 * credentials are kept for the life of the container, per account, until shortly before
 * they expire.
 */
export class IamRevocationTarget implements RevocationTarget {
  private readonly sts: STSClient;
  private readonly partition: string;
  private deployer: { readonly sts: STSClient; readonly credentials: Credentials } | undefined;
  private readonly accounts = new Map<
    string,
    { readonly iam: IAMClient; readonly credentials: Credentials }
  >();

  constructor(private readonly options: IamRevocationTargetOptions) {
    this.sts = options.sts ?? new STSClient(NO_SDK_RETRIES);
    const partition = /^arn:([^:]+):iam::\d{12}:role\//.exec(options.deployerRoleArn)?.[1];
    if (!partition)
      throw new Error(`deployerRoleArn must be an IAM role ARN, got "${options.deployerRoleArn}"`);
    this.partition = partition;
  }

  async account(awsAccountId: string): Promise<AccountRoles> {
    const cached = this.accounts.get(awsAccountId);
    const iam =
      cached && isFresh(cached.credentials) ? cached.iam : await this.assumeAutomationRole(awsAccountId);
    return new IamAccountRoles(iam, this.options.retry);
  }

  private async assumeAutomationRole(awsAccountId: string): Promise<IAMClient> {
    const deployerSts = await this.deployerSts();
    const credentials = await this.assume(
      deployerSts,
      roleArn(this.partition, awsAccountId, AUTOMATION_ROLE_NAME),
    );
    this.accounts.get(awsAccountId)?.iam.destroy();
    const iam = new IAMClient({ ...NO_SDK_RETRIES, credentials });
    this.accounts.set(awsAccountId, { iam, credentials });
    return iam;
  }

  private async deployerSts(): Promise<STSClient> {
    if (this.deployer && isFresh(this.deployer.credentials)) return this.deployer.sts;
    const credentials = await this.assume(this.sts, this.options.deployerRoleArn);
    this.deployer?.sts.destroy();
    const sts = new STSClient({ ...NO_SDK_RETRIES, credentials });
    this.deployer = { sts, credentials };
    return sts;
  }

  private async assume(sts: STSClient, roleArnToAssume: string): Promise<Credentials> {
    const response = await withRetries(
      () =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArnToAssume,
            RoleSessionName: SESSION_NAME,
            DurationSeconds: 900,
          }),
        ),
      this.options.retry,
    );
    const credentials = response.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
      throw new Error(`AssumeRole on ${roleArnToAssume} returned no credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration ?? new Date(Date.now() + 15 * 60 * 1000),
    };
  }
}

function isFresh(credentials: Credentials): boolean {
  return Date.now() < credentials.expiration.getTime() - RENEW_BEFORE_MS;
}

/** A guard against a Marker that never ends. */
const MAX_PAGES = 100;

class IamAccountRoles implements AccountRoles {
  constructor(
    private readonly iam: IAMClient,
    private readonly retry: RetryOptions | undefined,
  ) {}

  async listPermissionSetRoles(): Promise<string[]> {
    const names = new Set<string>();
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await withRetries(
        () => this.iam.send(new ListRolesCommand({ PathPrefix: PERMISSION_SET_ROLE_PATH, Marker: marker })),
        this.retry,
      );
      for (const role of response.Roles ?? []) if (role.RoleName) names.add(role.RoleName);
      marker = response.IsTruncated ? response.Marker : undefined;
      if (!marker) return [...names];
    }
    throw new Error(`ListRoles returned more than ${MAX_PAGES} pages`);
  }

  async readPolicy(roleName: string): Promise<string | undefined> {
    try {
      const response = await withRetries(
        () =>
          this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME })),
        this.retry,
      );
      // IAM returns the document URL-encoded (RFC 3986).
      return response.PolicyDocument === undefined ? undefined : decodeURIComponent(response.PolicyDocument);
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw error;
    }
  }

  async writePolicy(roleName: string, document: string): Promise<boolean> {
    try {
      await withRetries(
        () =>
          this.iam.send(
            new PutRolePolicyCommand({
              RoleName: roleName,
              PolicyName: REVOCATION_POLICY_NAME,
              PolicyDocument: document,
            }),
          ),
        this.retry,
      );
      return true;
    } catch (error) {
      if (isNoSuchEntity(error)) return false;
      throw error;
    }
  }

  async deletePolicy(roleName: string): Promise<void> {
    try {
      await withRetries(
        () =>
          this.iam.send(
            new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }),
          ),
        this.retry,
      );
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
    }
  }
}
