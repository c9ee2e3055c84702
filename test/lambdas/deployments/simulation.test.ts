import { simulatePermissionSetDeployments } from '@/bench/permission-set-simulation';

describe('simulatePermissionSetDeployments', () => {
  it('deploys 1,000 accounts × 3 assignments under throttling with bounded concurrency, leaving none in progress', async () => {
    const result = await simulatePermissionSetDeployments({
      accounts: 1000,
      assignments: 3,
      concurrency: 10,
      throttleRate: 0.05,
      iamLatencyMs: 0,
    });

    expect(result.deployments).toEqual({ DEPLOYMENT_COMPLETE: 3000 });
    expect(result.throttledCalls).toBeGreaterThan(0);
    expect(result.maxWorkers).toBeLessThanOrEqual(10);
    expect(result.maxInFlight).toBeLessThanOrEqual(100);
    // Read (5 calls) + create, put inline, attach managed per role, plus throttled retries.
    expect(result.iamCallsPerAccount).toBeGreaterThanOrEqual(3 * 8);
    expect(result.iamCallsPerAccount).toBeLessThan(3 * 8 * 1.5);
  }, 120_000);
});
