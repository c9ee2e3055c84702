/**
 * `npm start`: the whole service on http://127.0.0.1:3000 (`PORT`), state under
 * `.staxid/` (`STAXID_HOME`); `STAXID_CONSOLE_SIGN_IN=hosted-ui` has the console sign in
 * through the hosted UI as in AWS; `STAXID_RECONCILE_MINUTES` sets how often the permission-set
 * reconcile runs (default hourly). Stops cleanly on SIGINT/SIGTERM.
 */
import { join, resolve } from 'node:path';
import { type ConsoleSignIn, DEFAULT_PORT, type LocalService, startLocalService } from '@/local/service';

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(
      `PORT must be a port number from 0 to 65535 (0 picks a free one), e.g. PORT=3001; got "${value}".`,
    );
  }
  return port;
}

const CONSOLE_SIGN_INS: readonly ConsoleSignIn[] = ['password', 'hosted-ui'];

function consoleSignInFromEnv(value: string | undefined): ConsoleSignIn {
  if (value === undefined || value === '') return 'password';
  const signIn = CONSOLE_SIGN_INS.find((name) => name === value);
  if (!signIn) {
    throw new Error(
      `STAXID_CONSOLE_SIGN_IN must be ${CONSOLE_SIGN_INS.join(' or ')}, e.g. STAXID_CONSOLE_SIGN_IN=hosted-ui; got "${value}".`,
    );
  }
  return signIn;
}

function reconcileMinutesFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 24 * 60) {
    throw new Error(
      `STAXID_RECONCILE_MINUTES must be a number of minutes from 1 to 1440 between reconcile runs, e.g. STAXID_RECONCILE_MINUTES=5; got "${value}".`,
    );
  }
  return minutes;
}

async function main(): Promise<void> {
  const home = resolve(process.env.STAXID_HOME || '.staxid');
  const port = portFromEnv(process.env.PORT);
  const consoleSignIn = consoleSignInFromEnv(process.env.STAXID_CONSOLE_SIGN_IN);
  const reconcileEveryMinutes = reconcileMinutesFromEnv(process.env.STAXID_RECONCILE_MINUTES);
  const service: LocalService = await startLocalService({ home, port, consoleSignIn, reconcileEveryMinutes });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping staxid...`);
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('staxid did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Without its database the service is of no use: say why and end.
  void service.dynamodb.exited.then(({ code, signal, output }) => {
    if (stopping) return;
    stopping = true;
    console.error(
      `DynamoDB Local (pid ${service.dynamodb.pid}) ended unexpectedly (${signal ?? `exit ${code}`}); ` +
        `stopping staxid. Its last output:\n${output.trim() || '(none)'}`,
    );
    void service.stop().finally(() => process.exit(1));
  });

  console.log(
    `DynamoDB Local (pid ${service.dynamodb.pid}) at ${service.endpoints.dynamodb}, table ${service.endpoints.tableName}`,
  );
  console.log(`Endpoints written to ${join(service.home, 'local.json')}`);
  console.log(`staxid listening on ${service.url} (state in ${service.home}); Ctrl-C stops it`);
  const signIn = consoleSignIn === 'hosted-ui' ? 'through the hosted UI' : 'with a password';
  console.log(`Console at ${service.url}/console/ (built on the first request; signs in ${signIn})`);
  console.log(`Hosted UI at ${service.endpoints.hostedUi} (npx staxid login --browser --api ${service.url})`);
}

main().catch((error: unknown) => {
  console.error(`staxid could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
