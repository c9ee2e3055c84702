/**
 * The whole service on this machine: DynamoDB Local persisted under `$STAXID_HOME/dynamodb`,
 * the staxid table, and the handlers of the route table behind the local API Gateway;
 * the audit outbox shipped from the table's stream to `$STAXID_HOME/audit/`; cognito-local and
 * the stand-in of its hosted UI (local/hosted-ui.ts) for the console's and the CLI's sign-in.
 * `local/main.ts` is the CLI around it; tests start and stop it in-process.
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { PostAuthenticationTriggerEvent, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { cliCallbackUrl, DEFAULT_CALLBACK_PORT } from '@/cli/browser-login';
import { DynamoDeploymentStore } from '@/lambdas/deployments/deployment-store';
import type { ScheduledReconcileSummary } from '@/lambdas/deployments/reconcile';
import { LocalRevocationTarget } from '@/lambdas/revocation/local-revocation-target';
import { ROUTES, type RouteDefinition } from '@/lambdas/routes';
import { FileAuditSink } from '@/lambdas/shared/audit';
import { OutboxAuditSink } from '@/lambdas/shared/audit-outbox';
import { PUBLIC_CONFIG_ENV, TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import { createDb, type Db, systemClock } from '@/lambdas/shared/db';
import { SimulatedOrganization } from '@/lambdas/shared/organization';
import { SIGNIN_ENV } from '@/lambdas/signin/env';
import { SUPPORT_GROUP_NAME_ENV } from '@/lambdas/support/env';
import { type LocalTokenService, localTokenService } from '@/lambdas/tokens/local-token-service';
import { NO_FEDERATION_ROLES } from '@/lambdas/triggers/federation';
import { createPostAuthenticationHandler } from '@/lambdas/triggers/post-authentication';
import { createPreTokenGenerationHandler } from '@/lambdas/triggers/pre-token-generation';
import {
  type ApiLogger,
  type ApiServer,
  type Authorizer,
  type HandlerLoader,
  moduleHandlerLoader,
  REPO_ROOT,
  startApiServer,
} from '@/local/api-gateway-adapter';
import { type LocalAws, startLocalAws } from '@/local/aws';
import {
  type CognitoLocal,
  ensureUserPool,
  type LocalTriggers,
  startCognitoLocal,
  userDirectoryEnvironment,
} from '@/local/cognito-local';
import { CONSOLE_HOSTED_UI_ENV, CONSOLE_ROUTES } from '@/local/console';
import {
  LocalDeploymentQueue,
  LocalIam,
  localAccountMoveConsumer,
  localPermissionSetRoles,
} from '@/local/deployer';
import { type DynamoDbLocal, startDynamoDbLocal } from '@/local/dynamodb-local';
import { type HostedUi, startHostedUi } from '@/local/hosted-ui';
import { localOrganization, localOrganizationEnvironment } from '@/local/organization';
import { withLocalDeploymentQueue } from '@/local/permission-sets';
import { type LocalReconcile, startLocalReconcile } from '@/local/reconcile';
import { localRevocationConsumer } from '@/local/revocation';
import {
  type LocalStreamReader,
  startLocalAuditShipper,
  startLocalStreamReader,
} from '@/local/stream-reader';
import { ensureTable } from '@/local/table';

export const DEFAULT_PORT = 3000;
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_TABLE_NAME = 'staxid';
const HOST = '127.0.0.1';

export interface LocalServiceOptions {
  /** State directory (`STAXID_HOME`); created when missing. */
  readonly home: string;
  /**
   * Port of the API on 127.0.0.1; 0 picks a free one (`port` on the result says which).
   * @default 3000
   */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 'staxid' */
  readonly tableName?: string;
  /** @default console */
  readonly logger?: ApiLogger;
  /** @default ROUTES and the console (local/console.ts) */
  readonly routes?: readonly RouteDefinition[];
  /** @default imports each route's handler file */
  readonly loadHandler?: HandlerLoader;
  /** @default the local authorizer: the Lambda authorizer's verification and caller resolution */
  readonly authorize?: Authorizer;
  /**
   * How the console signs people in: its own password form against cognito-local, or, as in
   * AWS, the hosted UI (its stand-in) with the authorization code and PKCE.
   * `STAXID_CONSOLE_SIGN_IN` for `npm start`.
   * @default 'password'
   */
  readonly consoleSignIn?: ConsoleSignIn;
  /**
   * Minutes between runs of the permission-set reconcile (stalled deployments re-sent, drift
   * audited and repaired), as the hourly rule runs it in AWS. `STAXID_RECONCILE_MINUTES` for
   * `npm start`.
   * @default 60
   */
  readonly reconcileEveryMinutes?: number;
}

/** The console's sign-in in local mode (LocalServiceOptions.consoleSignIn). */
export type ConsoleSignIn = 'password' | 'hosted-ui';

/** `$STAXID_HOME/local.json`: where the running service can be reached. */
export interface LocalEndpoints {
  readonly api: string;
  readonly region: string;
  readonly dynamodb: string;
  readonly tableName: string;
  /** cognito-local, standing in for the Cognito user pool. */
  readonly cognito: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** The local stand-in of AWS's SAML sign-in endpoint (`POST /saml`). */
  readonly awsSignIn: string;
  /** The local stand-in of STS (Query protocol; `AssumeRoleWithSAML`). */
  readonly sts: string;
  /** The stand-in of Cognito's hosted UI (`/oauth2/authorize`, `/oauth2/token`, `/logout`). */
  readonly hostedUi: string;
}

export interface LocalService {
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly endpoints: LocalEndpoints;
  readonly dynamodb: DynamoDbLocal;
  readonly cognito: CognitoLocal;
  /** Delivers the audit outbox to `$STAXID_HOME/audit/` now (it is shipped continuously anyway). */
  flushAudit(): Promise<void>;
  /** Applies pending session revocations to `$STAXID_HOME/revocations/` now. */
  flushRevocations(): Promise<void>;
  /** Runs the permission-set reconcile now (it runs on its schedule anyway) and answers what it did. */
  reconcile(): Promise<ScheduledReconcileSummary>;
  /**
   * Closes the API and the hosted UI, delivers the audit outbox, stops DynamoDB Local by its PID, removes
   * local.json and restores the environment.
   */
  stop(): Promise<void>;
}

/** The version in package.json, reported by GET /health and GET /openapi.json. */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const version =
    typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
  return typeof version === 'string' ? version : '0.0.0-dev';
}

export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const home = resolve(options.home);
  const region = options.region ?? DEFAULT_REGION;
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const logger = options.logger ?? console;
  mkdirSync(home, { recursive: true });

  const dynamodb = await startDynamoDbLocal({
    dbPath: join(home, 'dynamodb'),
    log: (message) => logger.info(message),
  });
  const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, region, credentials: LOCAL_CREDENTIALS });
  const streams = new DynamoDBStreamsClient({
    endpoint: dynamodb.endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
  });
  const closeClients = (): void => {
    client.destroy();
    streams.destroy();
  };
  const tableDb = createDb(tableName, client);
  // cognito-local: its state under `$STAXID_HOME/cognito`, the pool and client created on first
  // start; it runs staxid's Cognito triggers on this service's table, as the deployed pool does.
  const cognito = await startCognitoLocal({
    dataDir: join(home, 'cognito'),
    triggers: localCognitoTriggers(tableDb),
  }).catch(async (error: unknown) => {
    closeClients();
    await dynamodb.stop();
    throw error;
  });
  let userPool: { userPoolId: string; userPoolClientId: string } | undefined;
  let restoreEnv = (): void => {};
  let api: ApiServer | undefined;
  let tokens: LocalTokenService | undefined;
  let shipper: LocalStreamReader | undefined;
  let revocation: LocalStreamReader | undefined;
  let permissionSetFanOut: LocalStreamReader | undefined;
  let localAws: LocalAws | undefined;
  let hostedUi: HostedUi | undefined;
  let deploymentQueue: LocalDeploymentQueue | undefined;
  let reconcile: LocalReconcile | undefined;
  let apiUrl: string | undefined;
  const streamLogger = {
    info: (message: string) => logger.info(message),
    warn: (message: string) => logger.info(message),
    error: (message: string, fields?: Readonly<Record<string, unknown>>) =>
      logger.error(`${message} ${JSON.stringify(fields ?? {})}`),
  };
  try {
    await ensureTable(client, tableName);
    // Permission-set roles the local deployer creates, under `$STAXID_HOME/iam/` (ADR 0018).
    const localIam = new LocalIam(join(home, 'iam'));
    // The table stream's consumers, as in AWS: audit events land under `$STAXID_HOME/audit/`
    // (ADR 0010); disabled users' session denials under `$STAXID_HOME/revocations/` (ADR 0013).
    shipper = await startLocalAuditShipper({
      dynamodb: client,
      streams,
      tableName,
      sink: new FileAuditSink(join(home, 'audit')),
      logger: streamLogger,
    });
    revocation = await startLocalStreamReader({
      dynamodb: client,
      streams,
      tableName,
      name: 'session revocation',
      logger: streamLogger,
      consume: localRevocationConsumer({
        db: tableDb,
        target: new LocalRevocationTarget(join(home, 'revocations'), (id) => localIam.roleNames(id)),
        clock: systemClock,
        logger: streamLogger,
      }),
    });
    // Permission-set roles (ADR 0018): a local IAM under `$STAXID_HOME/iam/`, the worker run
    // in-process, and accounts joining or leaving account types followed from the stream.
    const deploymentStore = new DynamoDeploymentStore(tableDb);
    deploymentQueue = new LocalDeploymentQueue({
      store: deploymentStore,
      iam: localIam,
      clock: systemClock,
      logger: streamLogger,
    });
    permissionSetFanOut = await startLocalStreamReader({
      dynamodb: client,
      streams,
      tableName,
      name: 'permission set fan-out',
      logger: streamLogger,
      consume: localAccountMoveConsumer({
        db: tableDb,
        store: deploymentStore,
        queue: deploymentQueue,
        clock: systemClock,
        logger: streamLogger,
      }),
    });
    reconcile = startLocalReconcile(
      {
        db: tableDb,
        store: deploymentStore,
        iam: localIam,
        queue: deploymentQueue,
        audit: new OutboxAuditSink(tableDb),
        clock: systemClock,
        logger: streamLogger,
      },
      (options.reconcileEveryMinutes ?? 60) * 60_000,
    );
    // AWS's SAML sign-in endpoint and STS, checking what they receive as AWS does (local/aws);
    // every simulated account's `staxid` provider trusts the service's own metadata.
    const organization = localOrganization(home);
    localAws = await startLocalAws({
      organization: new SimulatedOrganization(
        organization.file ? { file: organization.file } : organization.description,
      ),
      permissionSetRoles: localPermissionSetRoles(join(home, 'iam')),
      metadata: async () => {
        if (!apiUrl) throw new Error('the API is not listening yet');
        const response = await fetch(`${apiUrl}/saml/metadata.xml`);
        if (!response.ok) throw new Error(`GET /saml/metadata.xml answered ${response.status}`);
        return response.text();
      },
    });
    // The handlers run in this process and read their configuration from the environment at load
    // time, as in Lambda: set it before the first request loads them.
    // API tokens (lambdas/tokens): local keys for KMS, the authorizer hook, the bootstrap token.
    tokens = localTokenService({
      home,
      tableName,
      region,
      dynamodbEndpoint: dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
      log: (message) => logger.info(message),
    });
    userPool = await ensureUserPool(cognito);
    restoreEnv = applyEnvironment({
      ...handlerEnvironment({ region, tableName, dynamodb: dynamodb.endpoint }),
      // The user pool (lambdas/users): cognito-local, and the outbox standing in for Cognito's mail.
      ...userDirectoryEnvironment({
        endpoint: cognito.endpoint,
        pool: userPool,
        outboxDir: join(home, 'outbox'),
      }),
      // The simulated AWS Organization DiscoverAccounts reads (local/organization.ts).
      ...localOrganizationEnvironment(home),
      ...tokens.environment,
      // AWS sign-in (lambdas/signin): the local stand-ins of AWS's SAML endpoint and STS.
      ...localAws.environment,
    });
    api = await startApiServer({
      port: options.port ?? DEFAULT_PORT,
      host: HOST,
      logger,
      // The API and, at /console/, the console web app on the same origin (local/console.ts).
      routes: options.routes ?? [...ROUTES, ...CONSOLE_ROUTES],
      loadHandler: withLocalDeploymentQueue(options.loadHandler ?? moduleHandlerLoader(), deploymentQueue),
      authorize: options.authorize ?? tokens.authorize,
    });
    apiUrl = api.url;
    // Cognito's hosted UI, which cognito-local lacks: the console and `staxid login --browser`
    // come back to the callback URLs the console app client registers in AWS.
    hostedUi = await startHostedUi({
      cognitoEndpoint: cognito.endpoint,
      userPoolClientId: userPool.userPoolClientId,
      callbackUrls: [`${api.url}/console/`, cliCallbackUrl(DEFAULT_CALLBACK_PORT)],
      logoutUrls: [`${api.url}/console/`],
    });
    // The issuer of local access tokens is the API's own URL, known once it listens.
    const restoreBase = restoreEnv;
    const restoreIssuer = applyEnvironment({
      ...tokens.issuerEnvironment(api.url),
      // GET /20190206/public/config reports where the API is.
      [PUBLIC_CONFIG_ENV.apiUrl]: api.url,
      // The SAML IdP's entity id, as the Identity stack sets it.
      [SIGNIN_ENV.entityId]: `${api.url}/saml/metadata.xml`,
      // ...and the hosted UI, for `staxid login --browser`; the console uses it when asked to.
      [PUBLIC_CONFIG_ENV.hostedUiUrl]: hostedUi.url,
      [CONSOLE_HOSTED_UI_ENV]: options.consoleSignIn === 'hosted-ui' ? hostedUi.url : undefined,
    });
    restoreEnv = () => {
      restoreIssuer();
      restoreBase();
    };
    await tokens.start(api.url);
  } catch (error) {
    await api?.close();
    await hostedUi?.close();
    tokens?.close();
    await shipper?.stop().catch(() => undefined);
    await revocation?.stop().catch(() => undefined);
    await reconcile?.stop();
    await permissionSetFanOut?.stop().catch(() => undefined);
    await localAws?.close();
    closeClients();
    restoreEnv();
    await Promise.all([dynamodb.stop(), cognito.stop()]);
    throw error;
  }

  const endpoints: LocalEndpoints = {
    api: api.url,
    region,
    dynamodb: dynamodb.endpoint,
    tableName,
    cognito: cognito.endpoint,
    userPoolId: userPool.userPoolId,
    userPoolClientId: userPool.userPoolClientId,
    awsSignIn: localAws.signInUrl,
    sts: localAws.stsEndpoint,
    hostedUi: hostedUi.url,
  };
  const localJson = join(home, 'local.json');
  writeFileAtomically(localJson, `${JSON.stringify(endpoints, null, 2)}\n`);

  const server = api;
  const tokenService = tokens;
  const auditShipper = shipper;
  const revocationReader = revocation;
  const fanOutReader = permissionSetFanOut;
  const deployments = deploymentQueue;
  const scheduledReconcile = reconcile;
  const aws = localAws;
  const signInUi = hostedUi;
  let stopping: Promise<void> | undefined;
  return {
    url: api.url,
    port: api.port,
    home,
    endpoints,
    dynamodb,
    cognito,
    flushAudit: () => auditShipper.flush(),
    flushRevocations: () => revocationReader.flush(),
    reconcile: () => scheduledReconcile.run(),
    stop: () => {
      stopping ??= (async () => {
        rmSync(localJson, { force: true });
        try {
          await server.close();
        } finally {
          await signInUi.close();
          tokenService.close();
          await auditShipper
            .stop()
            .catch((error: unknown) => logger.error(`audit outbox not fully delivered: ${error}`));
          await revocationReader
            .stop()
            .catch((error: unknown) => logger.error(`session revocations not fully applied: ${error}`));
          await scheduledReconcile.stop();
          await fanOutReader
            .stop()
            .catch((error: unknown) => logger.error(`permission set fan-out: ${error}`));
          // The moves just consumed and any deployment in flight finish before the table goes.
          await deployments.idle();
          await aws.close();
          closeClients();
          restoreEnv();
          await Promise.all([dynamodb.stop(), cognito.stop()]);
        }
      })();
      return stopping;
    },
  };
}

/**
 * The user pool's triggers as the Identity stack deploys them (ADR 0009, ADR 0016), run by
 * cognito-local on this service's table: post-authentication makes an invited user ACTIVE
 * at their first sign-in and refuses a DISABLED one, with its audit event;
 * pre-token-generation refuses tokens (also at refresh) to a user who is not ACTIVE. Local
 * mode has no corporate IdP, so every sign-in here is a local user's.
 */
function localCognitoTriggers(db: Db): LocalTriggers {
  const postAuthentication = createPostAuthenticationHandler(() => ({
    db,
    clock: systemClock,
    audit: new OutboxAuditSink(db),
    roles: NO_FEDERATION_ROLES,
  }));
  const preTokenGeneration = createPreTokenGenerationHandler(() => db);
  return {
    PostAuthentication: (event) => postAuthentication(event as PostAuthenticationTriggerEvent),
    PreTokenGeneration: (event) => preTokenGeneration(event as PreTokenGenerationV2TriggerEvent),
  };
}

/** Nothing local needs real credentials, and nothing may reach AWS with the user's. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The environment the handlers see, as the Identity stack sets it on their Lambda functions. */
export function handlerEnvironment(input: {
  region: string;
  tableName: string;
  dynamodb: string;
}): Record<string, string | undefined> {
  return {
    STAXID_VERSION: packageVersion(),
    [TABLE_NAME_ENV]: input.tableName,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Every DynamoDB client built without an explicit endpoint goes to DynamoDB Local (SDK v3 reads this).
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamodb,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Members of this group are support engineers (ADR 0012); `identity.supportGroupName` in AWS.
    [SUPPORT_GROUP_NAME_ENV]: process.env[SUPPORT_GROUP_NAME_ENV] ?? 'Support',
  };
}

/** Sets (or, for `undefined`, unsets) variables in process.env; returns a function that puts them back. */
function applyEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const set = (entries: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(values);
  return () => set(previous);
}

function writeFileAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}
