import type { AccountIam } from '@/lambdas/deployments/account-iam';
import {
  planRole,
  planRoleDeletion,
  type RoleChange,
  type RoleState,
} from '@/lambdas/deployments/role-model';
import { PERMISSION_SET_ROLE_PATH } from '@/lambdas/shared/constants';
import { type RetryOptions, withRetries } from '@/lambdas/shared/retry';

/**
 * Converging one permission-set role: read it, plan the writes (role-model.ts), apply them.
 * Each IAM call is retried on throttling and conflicts (withRetries, full jitter). When the
 * role vanishes or appears between two calls (NoSuchEntity, EntityAlreadyExists, a
 * DeleteConflict), the role is read again and planned anew, a bounded number of times.
 */

/** Passes of read → plan → apply before giving up on a role that keeps changing under us. */
const MAX_PASSES = 3;

/** A role of the permission set's name exists outside `/staxid/`: staxid will not take it over. */
export class RoleNameTakenError extends Error {
  readonly code = 'RoleNameTakenError';

  constructor(name: string, path: string) {
    super(`a role named ${name} already exists at path ${path}, outside ${PERMISSION_SET_ROLE_PATH}`);
    this.name = 'RoleNameTakenError';
  }
}

/** The role changed under every pass; redelivery tries again later. */
export class RoleKeptChangingError extends Error {
  readonly code = 'RoleKeptChangingError';

  constructor(name: string, options: { cause: unknown }) {
    super(`role ${name} changed during each of ${MAX_PASSES} passes`, options);
    this.name = 'RoleKeptChangingError';
  }
}

/** IAM errors after which a fresh read and plan will do: the role changed between two calls. */
const REPLAN_ERRORS = new Set([
  'NoSuchEntity',
  'NoSuchEntityException',
  'EntityAlreadyExists',
  'DeleteConflict',
]);

/** Makes the role equal `desired`; returns the writes it made (none when it already matched). */
export async function convergeRole(
  iam: AccountIam,
  desired: RoleState,
  retry?: RetryOptions,
): Promise<RoleChange[]> {
  return passes(desired.name, async () => {
    const live = await retrying(() => iam.readRole(desired.name), retry);
    if (live && live.path !== PERMISSION_SET_ROLE_PATH) throw new RoleNameTakenError(desired.name, live.path);
    return applyAll(iam, desired, planRole(desired, live), retry);
  });
}

/** Removes the role (policies first); a role already gone, or not staxid's, is left alone. */
export async function removeRole(
  iam: AccountIam,
  role: RoleState,
  retry?: RetryOptions,
): Promise<RoleChange[]> {
  return passes(role.name, async () => {
    const live = await retrying(() => iam.readRole(role.name), retry);
    if (!live || live.path !== PERMISSION_SET_ROLE_PATH) return [];
    return applyAll(iam, role, planRoleDeletion(live), retry);
  });
}

async function applyAll(
  iam: AccountIam,
  role: RoleState,
  plan: readonly RoleChange[],
  retry: RetryOptions | undefined,
): Promise<RoleChange[]> {
  for (const change of plan) await retrying(() => iam.apply(role, change), retry);
  return [...plan];
}

async function passes(name: string, pass: () => Promise<RoleChange[]>): Promise<RoleChange[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < MAX_PASSES; attempt++) {
    try {
      return await pass();
    } catch (error) {
      if (!(error instanceof Error) || !REPLAN_ERRORS.has(error.name)) throw error;
      lastError = error;
    }
  }
  throw new RoleKeptChangingError(name, { cause: lastError });
}

/** withRetries over one IAM call (throttling, conflicts, EntityTemporarilyUnmodifiable: lambdas/shared/retry.ts). */
export function retrying<T>(call: () => Promise<T>, retry?: RetryOptions): Promise<T> {
  return withRetries(call, retry);
}
