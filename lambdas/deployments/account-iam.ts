import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { RoleChange, RoleState } from '@/lambdas/deployments/role-model';
import { AUTOMATION_ROLE_NAME, PERMISSION_SET_ROLE_PATH, roleArn } from '@/lambdas/shared/constants';
import { type RetryOptions, withRetries } from '@/lambdas/shared/retry';

/**
 * The port through which the deployment engine reads and writes permission-set roles of one
 * member account. In AWS, `IamAccountIam` calls IAM with the account's
 * `staxid-automation-role`; local mode and the simulation keep roles in memory or files
 * (MemoryAccountIam). Every implementation signals a missing role or policy with an error
 * named `NoSuchEntity`, as IAM does. Retries are the engine's (see converge.ts), so every
 * implementation gets the same ones.
 */
export interface AccountIam {
  /** The role of that name as it is now (whatever its path), or undefined when there is none. */
  readRole(name: string): Promise<RoleState | undefined>;
  /** Applies one write; `role` is the desired state (only its name matters for removals). */
  apply(role: RoleState, change: RoleChange): Promise<void>;
}

/** Reaches the AccountIam of a member account. */
export interface AccountIamProvider {
  account(awsAccountId: string): Promise<AccountIam>;
  /** The partition of the member accounts (for ARNs in trust policies). */
  readonly partition: string;
}

/** Whether an error says the role or policy does not exist. */
export function isNoSuchEntity(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchEntity' || error.name === 'NoSuchEntityException');
}

/** A guard against a Marker that never ends. */
const MAX_PAGES = 100;

/** Roles of one member account through IAM. */
export class IamAccountIam implements AccountIam {
  constructor(private readonly iam: IAMClient) {}

  async readRole(name: string): Promise<RoleState | undefined> {
    let role: Awaited<ReturnType<typeof this.getRole>>;
    try {
      role = await this.getRole(name);
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw error;
    }
    const path = role?.Path ?? '/';
    // Not staxid's: its name and path are all the engine needs (to refuse it), and the
    // automation role may read nothing more of a role outside /staxid/.
    if (path !== PERMISSION_SET_ROLE_PATH) return foreignRole(name, path);
    const [inlinePolicies, managedPolicyArns, tags] = await Promise.all([
      this.inlinePolicies(name),
      this.managedPolicyArns(name),
      this.tags(name),
    ]);
    return {
      name,
      path,
      description: role?.Description ?? '',
      maxSessionDuration: role?.MaxSessionDuration ?? 3600,
      // IAM returns policy documents URL-encoded (RFC 3986).
      trustPolicy: decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''),
      inlinePolicies,
      managedPolicyArns,
      tags,
    };
  }

  async apply(role: RoleState, change: RoleChange): Promise<void> {
    const RoleName = role.name;
    switch (change.kind) {
      case 'createRole':
        await this.iam.send(
          new CreateRoleCommand({
            RoleName,
            Path: role.path,
            Description: role.description || undefined,
            MaxSessionDuration: role.maxSessionDuration,
            AssumeRolePolicyDocument: role.trustPolicy,
            Tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return;
      case 'updateRole':
        await this.iam.send(
          new UpdateRoleCommand({
            RoleName,
            Description: role.description,
            MaxSessionDuration: role.maxSessionDuration,
          }),
        );
        return;
      case 'updateTrustPolicy':
        await this.iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: role.trustPolicy }),
        );
        return;
      case 'putInlinePolicy':
        await this.iam.send(
          new PutRolePolicyCommand({
            RoleName,
            PolicyName: change.policyName,
            PolicyDocument: role.inlinePolicies[change.policyName],
          }),
        );
        return;
      case 'deleteInlinePolicy':
        await this.iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: change.policyName }));
        return;
      case 'attachManagedPolicy':
        await this.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: change.policyArn }));
        return;
      case 'detachManagedPolicy':
        await this.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: change.policyArn }));
        return;
      case 'tagRole':
        await this.iam.send(
          new TagRoleCommand({
            RoleName,
            Tags: Object.entries(change.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return;
      case 'untagRole':
        await this.iam.send(new UntagRoleCommand({ RoleName, TagKeys: [...change.keys] }));
        return;
      case 'deleteRole':
        await this.iam.send(new DeleteRoleCommand({ RoleName }));
        return;
    }
  }

  private async getRole(name: string) {
    return (await this.iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  }

  private async inlinePolicies(name: string): Promise<Record<string, string>> {
    const names = await this.pages(async (Marker) => {
      const page = await this.iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
      return { items: page.PolicyNames ?? [], marker: page.IsTruncated ? page.Marker : undefined };
    });
    const documents = await Promise.all(
      names.map(async (PolicyName) => {
        const policy = await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName }));
        return [PolicyName, decodeURIComponent(policy.PolicyDocument ?? '')] as const;
      }),
    );
    return Object.fromEntries(documents);
  }

  private managedPolicyArns(name: string): Promise<string[]> {
    return this.pages(async (Marker) => {
      const page = await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
      return {
        items: (page.AttachedPolicies ?? []).flatMap((policy) =>
          policy.PolicyArn ? [policy.PolicyArn] : [],
        ),
        marker: page.IsTruncated ? page.Marker : undefined,
      };
    });
  }

  private async tags(name: string): Promise<Record<string, string>> {
    const tags = await this.pages(async (Marker) => {
      const page = await this.iam.send(new ListRoleTagsCommand({ RoleName: name, Marker }));
      return { items: page.Tags ?? [], marker: page.IsTruncated ? page.Marker : undefined };
    });
    return Object.fromEntries(tags.map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  }

  private async pages<T>(
    read: (marker: string | undefined) => Promise<{ items: readonly T[]; marker: string | undefined }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await read(marker);
      items.push(...result.items);
      marker = result.marker;
      if (!marker) return items;
    }
    throw new Error(`an IAM listing returned more than ${MAX_PAGES} pages`);
  }
}

export interface IamAccountIamProviderOptions {
  /** ARN of `staxid-deployer` in the security account (its partition is the member accounts' too). */
  readonly deployerRoleArn: string;
  /** @default an STS client in the function's own region */
  readonly sts?: STSClient;
  readonly retry?: RetryOptions;
}

interface Assumed {
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
  };
  readonly expiration: Date;
}

const SESSION_NAME = 'staxid-permission-set-deployment';
/** Renew assumed credentials this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
/** The SDK's own retries are off: the engine retries with full jitter and a known bound. */
const NO_SDK_RETRIES = { maxAttempts: 1 } as const;

/**
 * Member accounts reached through `staxid-deployer` → the account's `staxid-automation-role`
 * (the revocation worker's path, ADR 0013). Assumed credentials are kept per account for the
 * life of the container, until shortly before they expire.
 */
export class IamAccountIamProvider implements AccountIamProvider {
  readonly partition: string;
  private readonly sts: STSClient;
  private deployer: { readonly sts: STSClient; readonly assumed: Assumed } | undefined;
  private readonly accounts = new Map<string, { readonly iam: IAMClient; readonly assumed: Assumed }>();

  constructor(private readonly options: IamAccountIamProviderOptions) {
    const partition = /^arn:([^:]+):iam::\d{12}:role\//.exec(options.deployerRoleArn)?.[1];
    if (!partition)
      throw new Error(`deployerRoleArn must be an IAM role ARN, got "${options.deployerRoleArn}"`);
    this.partition = partition;
    this.sts = options.sts ?? new STSClient(NO_SDK_RETRIES);
  }

  async account(awsAccountId: string): Promise<AccountIam> {
    const cached = this.accounts.get(awsAccountId);
    if (cached && isFresh(cached.assumed)) return new IamAccountIam(cached.iam);
    const assumed = await this.assume(
      await this.deployerSts(),
      roleArn(this.partition, awsAccountId, AUTOMATION_ROLE_NAME),
    );
    cached?.iam.destroy();
    const iam = new IAMClient({ ...NO_SDK_RETRIES, credentials: assumed.credentials });
    this.accounts.set(awsAccountId, { iam, assumed });
    return new IamAccountIam(iam);
  }

  private async deployerSts(): Promise<STSClient> {
    if (this.deployer && isFresh(this.deployer.assumed)) return this.deployer.sts;
    const assumed = await this.assume(this.sts, this.options.deployerRoleArn);
    this.deployer?.sts.destroy();
    const sts = new STSClient({ ...NO_SDK_RETRIES, credentials: assumed.credentials });
    this.deployer = { sts, assumed };
    return sts;
  }

  private async assume(sts: STSClient, arn: string): Promise<Assumed> {
    const response = await withRetries(
      () =>
        sts.send(
          new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: SESSION_NAME, DurationSeconds: 900 }),
        ),
      this.options.retry,
    );
    const credentials = response.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
      throw new Error(`AssumeRole on ${arn} returned no credentials`);
    }
    return {
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
      },
      expiration: credentials.Expiration ?? new Date(Date.now() + 15 * 60 * 1000),
    };
  }
}

function isFresh(assumed: Assumed): boolean {
  return Date.now() < assumed.expiration.getTime() - RENEW_BEFORE_MS;
}

/** A role of that name outside /staxid/, as far as the engine reads it: its name and path. */
function foreignRole(name: string, path: string): RoleState {
  return {
    name,
    path,
    description: '',
    maxSessionDuration: 0,
    trustPolicy: '',
    inlinePolicies: {},
    managedPolicyArns: [],
    tags: {},
  };
}
