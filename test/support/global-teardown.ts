/**
 * jest globalTeardown (runs even when tests fail): stops the DynamoDB Local of
 * global-setup.ts, then kills by PID any DynamoDB Local a test started and did not stop.
 */
import { reapRegistry } from '../../local/dynamodb-local';

export default async function globalTeardown(): Promise<void> {
  const dynamodb = globalThis.__STAXID_DYNAMODB_LOCAL__;
  globalThis.__STAXID_DYNAMODB_LOCAL__ = undefined;
  await dynamodb?.stop();

  const registry = globalThis.__STAXID_DYNAMODB_LOCAL_REGISTRY__;
  globalThis.__STAXID_DYNAMODB_LOCAL_REGISTRY__ = undefined;
  if (registry) {
    const leftovers = reapRegistry(registry);
    if (leftovers.length > 0) {
      console.warn(
        `\nKilled ${leftovers.length} DynamoDB Local process(es) a test left running (pid ${leftovers.join(', ')}): ` +
          'stop every instance you start, in afterAll/afterEach or a finally block.',
      );
    }
  }
}
