/**
 * The permission-set API under `npm start`: the same handlers as in AWS, built with the
 * local deployer's queue (local/deployer.ts) instead of SQS, so create → assign → deploy →
 * sign-in runs on this machine (ADR 0018). The handler modules are imported on first use,
 * as the module loader imports the others.
 */
import type { DeploymentQueue } from '@/lambdas/deployments/messages';
import { type PermissionSetDeps, permissionSetDepsFromEnv } from '@/lambdas/permission-sets/deps';
import type { RouteDefinition } from '@/lambdas/routes';
import { once } from '@/lambdas/shared/deps';
import type { HandlerLoader, ProxyHandler } from '@/local/api-gateway-adapter';

type Deps = () => PermissionSetDeps;

/** The handler files that enqueue deployments, and how to build each over other deps. */
const ENQUEUEING: Readonly<Record<string, (deps: Deps) => Promise<ProxyHandler>>> = {
  'lambdas/permission-sets/update-permission-set.ts': async (deps) =>
    (await import('@/lambdas/permission-sets/update-permission-set')).updatePermissionSetHandler(deps),
  'lambdas/permission-sets/create-assignments.ts': async (deps) =>
    (await import('@/lambdas/permission-sets/create-assignments')).createAssignmentsHandler(deps),
  'lambdas/permission-sets/delete-assignment.ts': async (deps) =>
    (await import('@/lambdas/permission-sets/delete-assignment')).deleteAssignmentHandler(deps),
  'lambdas/permission-sets/redeploy-assignment.ts': async (deps) =>
    (await import('@/lambdas/permission-sets/redeploy-assignment')).redeployAssignmentHandler(deps),
};

/** `fallback`, except that the permission-set handlers that enqueue use `queue`. */
export function withLocalDeploymentQueue(fallback: HandlerLoader, queue: DeploymentQueue): HandlerLoader {
  // Built at the first request, from the handler environment as it is then.
  const deps: Deps = once(() => ({ ...permissionSetDepsFromEnv(), queue }));
  const built = new Map<string, Promise<ProxyHandler>>();
  return (route: RouteDefinition) => {
    const build = ENQUEUEING[route.handler];
    if (!build) return fallback(route);
    let handler = built.get(route.handler);
    if (!handler) {
      handler = build(deps);
      built.set(route.handler, handler);
    }
    return handler;
  };
}
