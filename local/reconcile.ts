/**
 * The scheduled reconcile of permission-set roles (ADR 0018) under `npm start`: the reconcile
 * function's own code on a timer (hourly, as the EventBridge rule runs it in AWS), against the
 * local IAM under `$STAXID_HOME/iam/`. Stalled deployments are sent again; a role changed or
 * deleted outside staxid is audited as drift through the outbox and repaired by the
 * in-process deployment queue.
 */
import {
  type ReconcileDeps,
  type ScheduledReconcileSummary,
  scheduledReconcile,
} from '@/lambdas/deployments/reconcile';
import { errorFields } from '@/lambdas/shared/logger';

export interface LocalReconcile {
  /** Runs the reconcile now, or joins the run in progress, and answers what it did. */
  run(): Promise<ScheduledReconcileSummary>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startLocalReconcile(deps: ReconcileDeps, everyMs: number): LocalReconcile {
  let running: Promise<ScheduledReconcileSummary> | undefined;
  const run = (): Promise<ScheduledReconcileSummary> => {
    running ??= scheduledReconcile(deps).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    run().catch((error: unknown) =>
      deps.logger.error('the scheduled reconcile failed; the next run tries again', errorFields(error)),
    );
  }, everyMs);
  timer.unref();
  return {
    run,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
