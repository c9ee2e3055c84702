/** Environment shared by jest's global setup and the test workers. No `@/` imports: see global-setup.ts. */

/** The endpoint of the run's DynamoDB Local, set by global-setup.ts (or from outside to reuse one). */
export const DYNAMODB_ENDPOINT_ENV = 'STAXID_TEST_DYNAMODB_ENDPOINT';

/** Dummy credentials and region: the SDK never looks for real ones, and nothing could reach AWS with them. */
export const TEST_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  // The SDK warns once per process that it will need Node 22 from 2027; package.json still says >=20.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;
