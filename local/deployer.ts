/**
 * Permission-set deployment under `npm start` (issue 6, item 6; ADR 0018): no member account
 * exists, so the IAM roles staxid would create are kept as files,
 * `$STAXID_HOME/iam/<awsAccountId>/roles/<name>.json` (the role's whole state), and the
 * deployment queue applies each message in this process, in order, with the worker's own
 * code (run-deployment.ts) against the local table. The local STS stand-in learns these
 * roles through `localPermissionSetRoles`, so sign-in works for them. Accounts that join or
 * leave an account type are followed from the table stream by `localAccountMoveConsumer`,
 * as the fan-out function follows them in AWS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { type AccountFanOutDeps, accountMove, requestMove } from '@/lambdas/deployments/account-fan-out';
import type { AccountIam, AccountIamProvider } from '@/lambdas/deployments/account-iam';
import type { DeploymentStore } from '@/lambdas/deployments/deployment-store';
import { applyChange } from '@/lambdas/deployments/memory-iam';
import {
  DEPLOYMENT_MAX_RECEIVE_COUNT,
  type DeploymentMessage,
  type DeploymentQueue,
} from '@/lambdas/deployments/messages';
import type { RoleChange, RoleState } from '@/lambdas/deployments/role-model';
import { runDeployment } from '@/lambdas/deployments/run-deployment';
import type { Clock } from '@/lambdas/shared/db';
import { errorFields, type Logger } from '@/lambdas/shared/logger';
import type { RetryOptions } from '@/lambdas/shared/retry';
import type { StreamPageResult } from '@/local/stream-reader';

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The roles of the simulated organization's accounts, as files under `dir` (`$STAXID_HOME/iam`). */
export class LocalIam implements AccountIamProvider {
  readonly partition = 'aws';

  constructor(private readonly dir: string) {}

  async account(awsAccountId: string): Promise<AccountIam> {
    if (!ACCOUNT_ID.test(awsAccountId)) throw new Error(`not an AWS account id: "${awsAccountId}"`);
    return new LocalAccountIam(join(this.dir, awsAccountId, 'roles'));
  }

  /**
   * The names of the permission-set roles deployed in the account, for what else acts on
   * every staxid role of an account (session revocation lists them, as IAM's ListRoles on
   * `/staxid/` does in AWS).
   */
  async roleNames(awsAccountId: string): Promise<string[]> {
    if (!ACCOUNT_ID.test(awsAccountId)) throw new Error(`not an AWS account id: "${awsAccountId}"`);
    try {
      const files = await readdir(join(this.dir, awsAccountId, 'roles'));
      return files
        .filter((file) => file.endsWith('.json'))
        .map((file) => file.slice(0, -'.json'.length))
        .filter((name) => ROLE_NAME.test(name))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

class LocalAccountIam implements AccountIam {
  constructor(private readonly dir: string) {}

  async readRole(name: string): Promise<RoleState | undefined> {
    try {
      return JSON.parse(await readFile(this.file(name), 'utf8')) as RoleState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async apply(role: RoleState, change: RoleChange): Promise<void> {
    const next = applyChange(await this.readRole(role.name), role, change);
    if (!next) {
      await rm(this.file(role.name), { force: true });
      return;
    }
    // Through a temporary file and a rename, so a reader never sees half a role.
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.file(role.name)}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
    await rename(temporary, this.file(role.name));
  }

  private file(name: string): string {
    if (!ROLE_NAME.test(name)) throw new Error(`not an IAM role name: "${name}"`);
    return join(this.dir, `${name}.json`);
  }
}

/**
 * What the local STS stand-in needs to know of a permission-set role
 * (`arn:aws:iam::<account>:role/staxid/<name>`): its MaxSessionDuration, read from its file;
 * undefined when staxid has not deployed it. Synchronous, as the stand-in's role lookup is.
 */
export function localPermissionSetRoles(
  dir: string,
): (roleArn: string) => { maxSessionDuration: number } | undefined {
  return (roleArn) => {
    const match = /^arn:aws:iam::(\d{12}):role\/staxid\/([\w+=,.@-]{1,64})$/.exec(roleArn);
    if (!match?.[1] || !match[2]) return undefined;
    const file = join(dir, match[1], 'roles', `${match[2]}.json`);
    if (!existsSync(file)) return undefined;
    const role = JSON.parse(readFileSync(file, 'utf8')) as RoleState;
    return { maxSessionDuration: role.maxSessionDuration };
  };
}

export interface LocalDeploymentQueueDeps {
  readonly store: DeploymentStore;
  readonly iam: AccountIamProvider;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry?: RetryOptions;
}

/**
 * The deployment queue of local mode: each message is run in this process, one at a time in
 * the order enqueued (a FIFO queue with one group), delivered again on failure up to
 * DEPLOYMENT_MAX_RECEIVE_COUNT times as SQS would. `enqueue` returns at once; `idle()`
 * resolves when every message so far is done.
 */
export class LocalDeploymentQueue implements DeploymentQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LocalDeploymentQueueDeps) {}

  async enqueue(messages: readonly DeploymentMessage[]): Promise<void> {
    for (const message of messages) this.tail = this.tail.then(() => this.deliver(message));
  }

  /** Resolves once every message enqueued so far has been applied (or dead-lettered). */
  idle(): Promise<void> {
    return this.tail;
  }

  private async deliver(message: DeploymentMessage): Promise<void> {
    for (let receive = 1; receive <= DEPLOYMENT_MAX_RECEIVE_COUNT; receive++) {
      try {
        const outcome = await runDeployment(this.deps, message, receive === DEPLOYMENT_MAX_RECEIVE_COUNT);
        this.deps.logger.info('local permission set deployment', { ...message, result: outcome.result });
        return;
      } catch (error) {
        this.deps.logger.error('local permission set deployment failed', {
          ...message,
          receive,
          ...errorFields(error),
        });
      }
    }
  }
}

/**
 * A page of table stream records → deployments for the account types an account joined or
 * left (account-fan-out.ts); a failed record is read again on the next pass.
 */
export function localAccountMoveConsumer(deps: AccountFanOutDeps) {
  return async (records: readonly _Record[]): Promise<StreamPageResult> => {
    for (const record of records) {
      const move = accountMove(record as DynamoDBRecord);
      if (!move?.awsAccountId) continue;
      try {
        await deps.queue.enqueue(await requestMove(deps, move));
      } catch (error) {
        deps.logger.error('local permission set fan-out failed; retrying', {
          ...move,
          ...errorFields(error),
        });
        return { retryFrom: move.sequenceNumber };
      }
    }
    return {};
  };
}
