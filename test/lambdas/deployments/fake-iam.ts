/**
 * IAM of one member account behind aws-sdk-client-mock, with effects: roles with their inline
 * policies, attached managed policies and tags, answered as IAM answers (URL-encoded
 * documents, NoSuchEntity, EntityAlreadyExists, DeleteConflict). Failures are injected per
 * command (each used once), and `onCall` runs before a command (to delete the role mid-run).
 */
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
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeRole {
  path: string;
  description: string;
  maxSessionDuration: number;
  trustPolicy: string;
  inline: Map<string, string>;
  managed: Set<string>;
  tags: Map<string, string>;
}

export const WRITE_COMMANDS = new Set([
  'CreateRole',
  'UpdateRole',
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'TagRole',
  'UntagRole',
  'DeleteRole',
]);

export function awsError(name: string): Error {
  return Object.assign(new Error(`${name} (injected)`), { name, $metadata: {} });
}

export class FakeIam {
  readonly roles = new Map<string, FakeRole>();
  readonly calls: string[] = [];
  readonly failures: { command: string; name: string }[] = [];
  onCall: ((command: string) => void) | undefined;
  readonly iam = mockClient(IAMClient);
  readonly sts = mockClient(STSClient);

  constructor() {
    this.sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIA',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3600_000),
      },
    });
    this.handle(GetRoleCommand, 'GetRole', (i) => {
      const role = this.role(i.RoleName);
      return {
        Role: {
          RoleName: i.RoleName,
          Path: role.path,
          Arn: `arn:aws:iam::333333333333:role${role.path}${i.RoleName}`,
          RoleId: 'AROA',
          CreateDate: new Date(),
          Description: role.description || undefined,
          MaxSessionDuration: role.maxSessionDuration,
          AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy),
        },
      };
    });
    this.handle(ListRolePoliciesCommand, 'ListRolePolicies', (i) => ({
      PolicyNames: [...this.role(i.RoleName).inline.keys()],
      IsTruncated: false,
    }));
    this.handle(GetRolePolicyCommand, 'GetRolePolicy', (i) => {
      const document = this.role(i.RoleName).inline.get(i.PolicyName ?? '');
      if (document === undefined) throw awsError('NoSuchEntity');
      return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(document) };
    });
    this.handle(ListAttachedRolePoliciesCommand, 'ListAttachedRolePolicies', (i) => ({
      AttachedPolicies: [...this.role(i.RoleName).managed].map((PolicyArn) => ({ PolicyArn })),
      IsTruncated: false,
    }));
    this.handle(ListRoleTagsCommand, 'ListRoleTags', (i) => ({
      Tags: [...this.role(i.RoleName).tags].map(([Key, Value]) => ({ Key, Value })),
      IsTruncated: false,
    }));
    this.handle(CreateRoleCommand, 'CreateRole', (i) => {
      if (this.roles.has(i.RoleName ?? '')) throw awsError('EntityAlreadyExists');
      this.roles.set(i.RoleName ?? '', {
        path: i.Path ?? '/',
        description: i.Description ?? '',
        maxSessionDuration: i.MaxSessionDuration ?? 3600,
        trustPolicy: i.AssumeRolePolicyDocument ?? '',
        inline: new Map(),
        managed: new Set(),
        tags: new Map(
          (i.Tags ?? []).map((tag: { Key?: string; Value?: string }) => [tag.Key ?? '', tag.Value ?? '']),
        ),
      });
      return {};
    });
    this.handle(UpdateRoleCommand, 'UpdateRole', (i) => {
      const role = this.role(i.RoleName);
      role.description = i.Description ?? role.description;
      role.maxSessionDuration = i.MaxSessionDuration ?? role.maxSessionDuration;
      return {};
    });
    this.handle(UpdateAssumeRolePolicyCommand, 'UpdateAssumeRolePolicy', (i) => {
      this.role(i.RoleName).trustPolicy = i.PolicyDocument ?? '';
      return {};
    });
    this.handle(PutRolePolicyCommand, 'PutRolePolicy', (i) => {
      this.role(i.RoleName).inline.set(i.PolicyName ?? '', i.PolicyDocument ?? '');
      return {};
    });
    this.handle(DeleteRolePolicyCommand, 'DeleteRolePolicy', (i) => {
      if (!this.role(i.RoleName).inline.delete(i.PolicyName ?? '')) throw awsError('NoSuchEntity');
      return {};
    });
    this.handle(AttachRolePolicyCommand, 'AttachRolePolicy', (i) => {
      this.role(i.RoleName).managed.add(i.PolicyArn ?? '');
      return {};
    });
    this.handle(DetachRolePolicyCommand, 'DetachRolePolicy', (i) => {
      if (!this.role(i.RoleName).managed.delete(i.PolicyArn ?? '')) throw awsError('NoSuchEntity');
      return {};
    });
    this.handle(TagRoleCommand, 'TagRole', (i) => {
      const role = this.role(i.RoleName);
      for (const tag of i.Tags ?? []) role.tags.set(tag.Key ?? '', tag.Value ?? '');
      return {};
    });
    this.handle(UntagRoleCommand, 'UntagRole', (i) => {
      const role = this.role(i.RoleName);
      for (const key of i.TagKeys ?? []) role.tags.delete(key);
      return {};
    });
    this.handle(DeleteRoleCommand, 'DeleteRole', (i) => {
      const role = this.role(i.RoleName);
      if (role.inline.size > 0 || role.managed.size > 0) throw awsError('DeleteConflict');
      this.roles.delete(i.RoleName ?? '');
      return {};
    });
  }

  /** Write calls made since the last `resetCalls`. */
  writes(): string[] {
    return this.calls.filter((call) => WRITE_COMMANDS.has(call));
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  restore(): void {
    this.iam.restore();
    this.sts.restore();
  }

  private role(name: string | undefined): FakeRole {
    const role = this.roles.get(name ?? '');
    if (!role) throw awsError('NoSuchEntity');
    return role;
  }

  // biome-ignore lint/suspicious/noExplicitAny: each command's input and output types differ
  private handle(command: any, name: string, answer: (input: any) => unknown): void {
    this.iam.on(command).callsFake((input: unknown) => {
      this.calls.push(name);
      this.onCall?.(name);
      const index = this.failures.findIndex((failure) => failure.command === name);
      const failure = this.failures[index];
      if (failure) {
        this.failures.splice(index, 1);
        throw awsError(failure.name);
      }
      return answer(input);
    });
  }
}
