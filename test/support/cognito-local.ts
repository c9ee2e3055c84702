/**
 * A cognito-local per test file, with the staxid user pool and app client:
 *
 *   let cognito: TestCognito;
 *   beforeAll(async () => { cognito = await startTestCognito(); });
 *   afterAll(() => cognito.stop());
 *
 * It starts in well under a second (node, no JVM), so each file gets its own: no state is
 * shared between files, and the global setup stays as it is. Its state and the outbox live
 * in a temporary directory removed by stop(). The process ends by itself should the test
 * worker die (see local/cognito-local.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  type AdminGetUserCommandOutput,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoUserDirectory, Outbox, type OutboxMessage } from '@/lambdas/shared/directory';
import { cognitoLocalClient, ensureUserPool, startCognitoLocal } from '@/local/cognito-local';

export interface TestCognito {
  readonly endpoint: string;
  readonly pid: number;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly client: CognitoIdentityProviderClient;
  /** Where the directory writes invitations and resets. */
  readonly outboxDir: string;
  /** The directory in local mode (outbox), as `npm start` wires it. */
  readonly directory: CognitoUserDirectory;
  /** How long the start took (process + pool + client), for the report. */
  readonly startMs: number;
  /** The pool user with this username, or undefined. */
  getUser(username: string): Promise<AdminGetUserCommandOutput | undefined>;
  /** Every message in the outbox, oldest first. */
  outbox(): OutboxMessage[];
  /**
   * A pool user made directly (no invitation mail): with `password`, confirmed with it;
   * without, still to set one at the first sign-in (temporary password `TEMPORARY_PASSWORD`).
   */
  createUser(username: string, password?: string): Promise<void>;
  stop(): Promise<void>;
}

/** The temporary password of users `createUser` makes without a password of their own. */
export const TEMPORARY_PASSWORD = 'Temporary-Passw0rd!';

export async function startTestCognito(): Promise<TestCognito> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'staxid-cognito-'));
  const instance = await startCognitoLocal({ dataDir: join(root, 'cognito') });
  try {
    const pool = await ensureUserPool(instance);
    const client = cognitoLocalClient(instance.endpoint);
    const outboxDir = join(root, 'outbox');
    const directory = new CognitoUserDirectory({
      client,
      userPoolId: pool.userPoolId,
      outbox: new Outbox(outboxDir),
    });
    return {
      endpoint: instance.endpoint,
      pid: instance.pid,
      ...pool,
      client,
      outboxDir,
      directory,
      startMs: Date.now() - started,
      getUser: async (username) => {
        try {
          return await client.send(
            new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: username }),
          );
        } catch (error) {
          if (error instanceof UserNotFoundException) return undefined;
          throw error;
        }
      },
      outbox: () => readOutbox(outboxDir),
      createUser: async (username, password) => {
        const UserPoolId = pool.userPoolId;
        await client.send(
          new AdminCreateUserCommand({
            UserPoolId,
            Username: username,
            MessageAction: 'SUPPRESS',
            TemporaryPassword: TEMPORARY_PASSWORD,
          }),
        );
        if (password === undefined) return;
        await client.send(
          new AdminSetUserPasswordCommand({
            UserPoolId,
            Username: username,
            Password: password,
            Permanent: true,
          }),
        );
      },
      stop: async () => {
        client.destroy();
        await instance.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await instance.stop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function readOutbox(dir: string): OutboxMessage[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as OutboxMessage)
    .sort((a, b) => a.SentTS.localeCompare(b.SentTS));
}
