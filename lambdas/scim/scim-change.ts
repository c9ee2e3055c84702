import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ScimDeps } from '@/lambdas/scim/deps';
import { badRequest } from '@/lambdas/scim/scim-error';
import { type AuditActor, type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import {
  backoff,
  commitSteps,
  MAX_TRANSACTION_ITEMS,
  type TransactItem,
  type TxStep,
} from '@/lambdas/shared/change';
import { ConcurrentModificationError } from '@/lambdas/shared/errors';
import { errorFields } from '@/lambdas/shared/logger';

/**
 * How a SCIM change is committed, as every staxid change is: plan it from a fresh read,
 * write its audit event (once), then commit its items in ONE TransactWriteItems under the
 * `Version` conditions of what it read. A lost race is planned again from a fresh read
 * (up to MAX_ATTEMPTS); a change larger than one transaction is refused (`tooMany`).
 * Calls to Cognito come after the commit; should one fail, the commit is undone.
 */

export interface ScimRequest {
  /** The audit event's type, e.g. `scim.UpdateUser`. */
  readonly type: string;
  /** The SCIM token the identity provider authenticated with. */
  readonly tokenId: string;
  readonly requestId: string;
}

/** A call to the user directory after the commit, and how to take it back. */
export interface DirectoryEffect {
  run(): Promise<void>;
  undo?(): Promise<void>;
}

export interface ScimPlan<R> {
  readonly steps: readonly TxStep[];
  readonly result: R;
  readonly targets: readonly AuditTarget[];
  readonly detail?: Readonly<Record<string, unknown>>;
  /** Items that revert the steps, should a directory effect fail. */
  readonly undo?: readonly TransactItem[];
  readonly effects?: readonly DirectoryEffect[];
}

const MAX_ATTEMPTS = 5;

/** The audit actor of a SCIM request: the token, acting for the identity provider. */
export function scimActor(tokenId: string): AuditActor {
  return { type: 'token', id: tokenId, role: 'scim' };
}

export async function commitScimChange<R>(
  deps: ScimDeps,
  request: ScimRequest,
  prepare: () => Promise<ScimPlan<R>>,
): Promise<R> {
  let plan = checked(await prepare());
  // Nothing to write (a PUT of what is already stored): no change, so no audit event.
  if (plan.steps.length === 0) return plan.result;
  const intent = auditEvent({
    type: request.type,
    actor: scimActor(request.tokenId),
    targets: plan.targets,
    ...(plan.detail && { detail: plan.detail }),
    requestId: request.requestId,
    time: deps.clock.now(),
  });
  // No audit event, no change: an AuditWriteError ends the request before any write.
  await deps.audit.write(intent);
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = plan.steps.length === 0 ? 'committed' : await commitSteps(deps, plan.steps, plan);
      if (outcome === 'committed') break;
      if (attempt >= MAX_ATTEMPTS) throw outcome;
      await backoff(attempt);
      plan = checked(await prepare());
    }
    await runEffects(deps, plan);
    return plan.result;
  } catch (error) {
    await auditFailure(deps, request, intent.eventId, plan.targets, error);
    throw error;
  }
}

function checked<R>(plan: ScimPlan<R>): ScimPlan<R> {
  if (plan.steps.length > MAX_TRANSACTION_ITEMS) {
    throw badRequest(
      'tooMany',
      `This change writes ${plan.steps.length} items, but one all-or-nothing change holds at most ${MAX_TRANSACTION_ITEMS}: send fewer members per request`,
    );
  }
  return plan;
}

async function runEffects<R>(deps: ScimDeps, plan: ScimPlan<R>): Promise<void> {
  const done: DirectoryEffect[] = [];
  try {
    for (const effect of plan.effects ?? []) {
      await effect.run();
      done.push(effect);
    }
  } catch (error) {
    for (const effect of done.reverse())
      await bestEffort(deps, 'undo a user directory change', () => effect.undo?.());
    if (plan.undo && plan.undo.length > 0) {
      const undo = plan.undo;
      await bestEffort(deps, 'undo the table writes', () =>
        deps.db.doc.send(new TransactWriteCommand({ TransactItems: [...undo] })),
      );
    }
    throw error;
  }
}

async function auditFailure(
  deps: ScimDeps,
  request: ScimRequest,
  supersedes: string,
  targets: readonly AuditTarget[],
  error: unknown,
): Promise<void> {
  await bestEffort(deps, 'write the FAILURE audit event', () =>
    deps.audit.write(
      auditEvent({
        type: request.type,
        actor: scimActor(request.tokenId),
        targets,
        outcome: 'FAILURE',
        detail: {
          Supersedes: supersedes,
          Reason:
            error instanceof ConcurrentModificationError
              ? error.code
              : error instanceof Error
                ? error.name
                : 'unknown',
        },
        requestId: request.requestId,
        time: deps.clock.now(),
      }),
    ),
  );
}

async function bestEffort(
  deps: ScimDeps,
  what: string,
  action: () => Promise<unknown> | undefined,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    deps.logger.error(`could not ${what}`, errorFields(error));
  }
}
