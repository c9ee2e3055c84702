import { reconcileDepsFromEnv } from '@/lambdas/deployments/dependencies';
import { type ScheduledReconcileSummary, scheduledReconcile } from '@/lambdas/deployments/reconcile';

/**
 * The scheduled EventBridge rule → deployments whose message was lost (left `*_REQUESTED`, or
 * `*_IN_PROGRESS` by a killed worker) are sent again, then every completed deployment is
 * checked for drift.
 */
export const handler = (): Promise<ScheduledReconcileSummary> => scheduledReconcile(reconcileDepsFromEnv());
