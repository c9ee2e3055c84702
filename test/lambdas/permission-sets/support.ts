/**
 * The permission-sets test fixture: the shared harness's table, an in-memory deployment
 * queue, every handler wired to them, seed helpers (groups, account types with accounts,
 * members) and the spec's schemas to check every response against.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { type AccountStatus, accountTypeItem } from '@/lambdas/accounts/account-items';
import type { AccountIamProvider } from '@/lambdas/deployments/account-iam';
import { MemoryAccountIam } from '@/lambdas/deployments/memory-iam';
import type { DeploymentMessage, DeploymentQueue } from '@/lambdas/deployments/messages';
import { groupItem, membershipItem } from '@/lambdas/groups/group-items';
import { createAssignmentsHandler } from '@/lambdas/permission-sets/create-assignments';
import { createPermissionSetHandler } from '@/lambdas/permission-sets/create-permission-set';
import { deleteAssignmentHandler } from '@/lambdas/permission-sets/delete-assignment';
import { deletePermissionSetHandler } from '@/lambdas/permission-sets/delete-permission-set';
import type { PermissionSetDeps } from '@/lambdas/permission-sets/deps';
import { getPermissionSetHandler } from '@/lambdas/permission-sets/get-permission-set';
import { listAssignmentsHandler } from '@/lambdas/permission-sets/list-assignments';
import { listMyRolesHandler } from '@/lambdas/permission-sets/list-my-roles';
import { listPermissionSetsHandler } from '@/lambdas/permission-sets/list-permission-sets';
import { listRolesHandler } from '@/lambdas/permission-sets/list-roles';
import { redeployAssignmentHandler } from '@/lambdas/permission-sets/redeploy-assignment';
import { updatePermissionSetHandler } from '@/lambdas/permission-sets/update-permission-set';
import { newId } from '@/lambdas/shared/ids';
import spec from '@/spec/stax-permission-sets-20210321.openapi.json';
import { createHarness, type Harness, putAccount, putUser, quietLogger } from '@/test/lambdas/tasks/harness';
import { ADMIN, invoke } from '@/test/support/api-event';

/** Records what the API enqueues, in order. */
export class MemoryDeploymentQueue implements DeploymentQueue {
  readonly messages: DeploymentMessage[] = [];

  async enqueue(messages: readonly DeploymentMessage[]): Promise<void> {
    this.messages.push(...messages);
  }

  /** The messages enqueued since the last call. */
  take(): DeploymentMessage[] {
    return this.messages.splice(0);
  }
}

export interface Fixture {
  readonly h: Harness;
  readonly queue: MemoryDeploymentQueue;
  readonly deps: () => PermissionSetDeps;
  readonly handlers: ReturnType<typeof handlersFor>;
}

function handlersFor(deps: () => PermissionSetDeps) {
  return {
    list: listPermissionSetsHandler(deps),
    create: createPermissionSetHandler(deps),
    get: getPermissionSetHandler(deps),
    update: updatePermissionSetHandler(deps),
    remove: deletePermissionSetHandler(deps),
    listAssignments: listAssignmentsHandler(deps),
    createAssignments: createAssignmentsHandler(deps),
    deleteAssignment: deleteAssignmentHandler(deps),
    redeploy: redeployAssignmentHandler(deps),
    listRoles: listRolesHandler(deps),
    listMyRoles: listMyRolesHandler(deps),
  };
}

export async function createFixture(): Promise<Fixture> {
  const h = await createHarness();
  const queue = new MemoryDeploymentQueue();
  const deps = (): PermissionSetDeps => ({
    db: h.deps.db,
    clock: h.clock,
    audit: h.audit,
    queue,
    logger: quietLogger,
    partition: 'aws',
  });
  return { h, queue, deps, handlers: handlersFor(deps) };
}

async function put(h: Harness, item: Record<string, unknown>) {
  await h.table.doc.send(new PutCommand({ TableName: h.table.tableName, Item: item }));
}

/** A group with these members; returns its id. */
export async function putGroup(h: Harness, members: readonly string[] = []): Promise<string> {
  const id = newId();
  await put(
    h,
    groupItem({ id, name: `group-${id.slice(0, 8)}`, groupType: 'LOCAL', status: 'ACTIVE', version: 1 }),
  );
  for (const userId of members) await put(h, membershipItem(id, userId, '2026-01-01T00:00:00.000Z'));
  return id;
}

/** An account type holding accounts of these statuses; returns its id and accounts. */
export async function putAccountType(h: Harness, statuses: readonly AccountStatus[]) {
  const id = newId();
  const accounts = [];
  for (const [index, status] of statuses.entries()) {
    const account = await putAccount(h, { name: `acct-${id.slice(0, 4)}-${index}`, status });
    accounts.push({
      AccountId: account.id,
      AwsAccountId: account.awsAccountId,
      Name: `acct-${id.slice(0, 4)}-${index}`,
      Status: status,
    });
  }
  await put(h, accountTypeItem({ id, name: `type-${id.slice(0, 8)}`, version: 1, roles: [], accounts }));
  return { id, accounts };
}

/** An ACTIVE user; returns their id. */
export function putMember(h: Harness): Promise<string> {
  return putUser(h, { role: 'customer_user' });
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(spec as object, 'permission-sets');
const validators = new Map<string, ValidateFunction>();

/** Every way `value` breaks the permission-sets spec's schema `name` (empty when it conforms). */
export function specErrors(name: keyof typeof spec.components.schemas, value: unknown): string[] {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `permission-sets#/components/schemas/${name}` });
    validators.set(name, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/** A valid IAM policy document. */
export const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});

/** Member accounts' IAM in memory, one MemoryAccountIam per AWS account, made on first use. */
export function memoryAccounts(): {
  readonly iam: AccountIamProvider;
  readonly accounts: Map<string, MemoryAccountIam>;
} {
  const accounts = new Map<string, MemoryAccountIam>();
  const iam: AccountIamProvider = {
    partition: 'aws',
    account: async (awsAccountId) => {
      const account = accounts.get(awsAccountId) ?? new MemoryAccountIam();
      accounts.set(awsAccountId, account);
      return account;
    },
  };
  return { iam, accounts };
}

/** A new permission set of a unique name starting with `prefix`, created as an Admin through the API. */
export async function newPermissionSet(f: Fixture, prefix: string): Promise<{ Id: string; Name: string }> {
  const created = await invoke(f.handlers.create, {
    method: 'POST',
    caller: ADMIN,
    body: { Name: `${prefix}-${Math.random().toString(36).slice(2, 8)}` },
  });
  expect(created.status).toBe(201);
  return created.body as { Id: string; Name: string };
}
