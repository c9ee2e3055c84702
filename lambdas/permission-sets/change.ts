import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { PermissionSetDeps } from '@/lambdas/permission-sets/deps';
import { type AuditTarget, auditEvent } from '@/lambdas/shared/audit';
import { backoff, type TransactItem, type TxStep } from '@/lambdas/shared/change';
import { ConcurrentModificationError } from '@/lambdas/shared/errors';
import type { Caller, OperationId } from '@/lambdas/shared/permissions';

/**
 * How a permission-set change is committed, as the identity API's changes are
 * (lambdas/shared/change.ts) but without a Stax task, which this API does not have:
 * its audit event first ("no audit event, no change"), then one transaction planned from
 * a fresh read, planned again when a `Version` condition shows a concurrent change.
 */

export interface ChangeContext {
  readonly caller: Caller;
  readonly requestId: string;
  readonly operationId: OperationId;
}

export interface Plan<R> {
  readonly steps: readonly TxStep[];
  readonly result: R;
  readonly targets: readonly AuditTarget[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

const MAX_ATTEMPTS = 6;

/** Plans, audits and commits a change; returns the committed plan (its result and what follows it). */
export async function commitChange<R>(
  deps: PermissionSetDeps,
  context: ChangeContext,
  prepare: () => Promise<Plan<R>>,
): Promise<Plan<R>> {
  let plan = await prepare();
  const intent = auditEvent({
    type: context.operationId,
    actor: context.caller,
    targets: plan.targets,
    ...(plan.detail && { detail: plan.detail }),
    requestId: context.requestId,
    time: deps.clock.now(),
  });
  await deps.audit.write(intent);
  try {
    for (let attempt = 1; ; attempt++) {
      const outcome = await commitOnce(deps, plan);
      if (outcome === 'committed') return plan;
      if (attempt >= MAX_ATTEMPTS) throw outcome;
      await backoff(attempt);
      plan = await prepare();
    }
  } catch (error) {
    await auditFailure(deps, context, intent.eventId, error);
    throw error;
  }
}

/**
 * One transaction. A step's own failure (a name taken) is thrown; any other cancelled
 * transaction lost a race and is returned, to be planned again.
 */
async function commitOnce<R>(
  deps: PermissionSetDeps,
  plan: Plan<R>,
): Promise<'committed' | ConcurrentModificationError> {
  if (plan.steps.length === 0) return 'committed';
  try {
    await deps.db.doc.send(new TransactWriteCommand({ TransactItems: plan.steps.map((step) => step.item) }));
    return 'committed';
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    for (const [index, reason] of reasons.entries()) {
      const final =
        reason.Code === 'ConditionalCheckFailed' ? plan.steps[index]?.onConditionFailed?.() : undefined;
      if (final) throw final;
    }
    const target = plan.targets[0];
    return new ConcurrentModificationError(target?.type ?? 'item', target?.id ?? 'unknown');
  }
}

async function auditFailure(
  deps: PermissionSetDeps,
  context: ChangeContext,
  intentEventId: string,
  error: unknown,
) {
  try {
    await deps.audit.write(
      auditEvent({
        type: context.operationId,
        actor: context.caller,
        outcome: 'FAILURE',
        detail: {
          intentEventId,
          reason: error instanceof Error ? ('code' in error && String(error.code)) || error.name : 'unknown',
        },
        requestId: context.requestId,
        time: deps.clock.now(),
      }),
    );
  } catch {
    deps.logger.error('could not write the FAILURE audit event of a failed change', {
      requestId: context.requestId,
    });
  }
}

/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Writes items that need not be all-or-nothing with each other (deployment items: each is
 * its own unit) in transactions of at most 100, each retried alone when it collides with
 * a concurrent write (the deployment engine moving the same item on).
 */
export async function writeInChunks(deps: PermissionSetDeps, items: readonly TransactItem[]): Promise<void> {
  for (let start = 0; start < items.length; start += MAX_TRANSACTION_ITEMS) {
    const chunk = items.slice(start, start + MAX_TRANSACTION_ITEMS);
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.db.doc.send(new TransactWriteCommand({ TransactItems: [...chunk] }));
        break;
      } catch (error) {
        if (
          attempt >= MAX_ATTEMPTS ||
          !(error instanceof Error) ||
          error.name !== 'TransactionCanceledException'
        ) {
          throw error;
        }
        await backoff(attempt);
      }
    }
  }
}
