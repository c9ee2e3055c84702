/**
 * jest globalSetup: ONE in-memory DynamoDB Local for the whole run. Its endpoint reaches
 * the test workers through process.env (they are started after this runs); the handle
 * stays on globalThis for global-teardown.ts, which runs in this same process.
 *
 * Runs outside jest's module registry: the `@/` alias does not apply here.
 */
import { createRegistry, type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { DYNAMODB_ENDPOINT_ENV, TEST_AWS_ENV } from './env';

declare global {
  var __STAXID_DYNAMODB_LOCAL__: DynamoDbLocal | undefined;
  var __STAXID_DYNAMODB_LOCAL_REGISTRY__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Dummy credentials and region: no test may find (or use) real AWS credentials.
  for (const [name, value] of Object.entries(TEST_AWS_ENV)) process.env[name] = value;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  // Every DynamoDB Local of the run (this one, and those tests start) is listed here; teardown
  // kills whatever a failed test left running, and so does this process if it is killed.
  globalThis.__STAXID_DYNAMODB_LOCAL_REGISTRY__ = createRegistry();

  // An endpoint given from outside (e.g. a DynamoDB Local kept running in watch mode) is used as is.
  const external = process.env[DYNAMODB_ENDPOINT_ENV];
  if (external) {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = external;
    return;
  }
  const started = Date.now();
  // Should teardown never run (jest killed), the launcher kills Java on exit and on SIGINT/SIGTERM/SIGHUP.
  // Java on a shared, loaded CI machine can take 10–30 s to answer: more than the launcher's default.
  const dynamodb = await startDynamoDbLocal({ inMemory: true, startTimeoutMs: 90_000 });
  globalThis.__STAXID_DYNAMODB_LOCAL__ = dynamodb;
  process.env[DYNAMODB_ENDPOINT_ENV] = dynamodb.endpoint;
  // Any DynamoDB client built without an endpoint talks to DynamoDB Local, never to AWS.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  if (process.env.STAXID_TEST_VERBOSE) {
    console.log(
      `\nDynamoDB Local (pid ${dynamodb.pid}) at ${dynamodb.endpoint} in ${Date.now() - started} ms`,
    );
  }
}
