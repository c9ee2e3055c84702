import { reconcileDepsFromEnv } from '@/lambdas/deployments/dependencies';
import { type ReconcileSummary, reconcile } from '@/lambdas/deployments/reconcile';

/** The scheduled EventBridge rule → the reconcile of every completed deployment. */
export const handler = (): Promise<ReconcileSummary> => reconcile(reconcileDepsFromEnv());
