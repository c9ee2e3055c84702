/**
 * DynamoDB Local on a database directory (as `npm start` runs it): one owner at a time,
 * and a Java process orphaned by a killed owner is stopped by the next start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@/local/api-gateway-adapter';
import { type DynamoDbLocal, startDynamoDbLocal } from '@/local/dynamodb-local';
import { exitOf, isRunning, killIfRunning, waitFor } from '@/test/support/processes';

/** How long one Java start may take here: 10–30 s on a loaded CI machine. The test starts two. */
const JAVA_START_MS = 90_000;

describe('startDynamoDbLocal with a dbPath', () => {
  let dbPath: string;
  const toReap: number[] = [];
  beforeEach(() => {
    dbPath = mkdtempSync(join(tmpdir(), 'staxid-db-'));
  });
  afterEach(() => {
    killIfRunning(...toReap.splice(0));
    rmSync(dbPath, { recursive: true, force: true });
  });

  it(
    'refuses a directory another live process runs DynamoDB Local on, and stops the orphan once that process is killed',
    async () => {
      // Another process starts DynamoDB Local on dbPath...
      const owner = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/local/fixtures/start-dynamodb-local.ts', dbPath],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      owner.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      if (owner.pid !== undefined) toReap.push(owner.pid);
      const { pid: orphanPid } = await waitFor(
        'the other process to start DynamoDB Local',
        () => {
          const line = output.split('\n').find((candidate) => candidate.startsWith('{"pid":'));
          if (!line && owner.exitCode !== null) throw new Error(`the fixture exited:\n${output}`);
          return line ? (JSON.parse(line) as { pid: number }) : undefined;
        },
        JAVA_START_MS + 15_000,
      );
      toReap.push(orphanPid);

      // ...so this one may not use it.
      await expect(startDynamoDbLocal({ dbPath })).rejects.toThrow(
        `The database in ${dbPath} is in use by process ${owner.pid}.`,
      );

      // The owner dies without a chance to clean up: its Java process is orphaned.
      owner.kill('SIGKILL');
      await exitOf(owner);
      expect(isRunning(orphanPid)).toBe(true);

      let next: DynamoDbLocal | undefined;
      try {
        next = await startDynamoDbLocal({ dbPath, startTimeoutMs: JAVA_START_MS });
        toReap.push(next.pid);
        expect(isRunning(orphanPid)).toBe(false);
        expect(next.pid).not.toBe(orphanPid);
      } finally {
        await next?.stop();
      }
    },
    3 * JAVA_START_MS,
  );
});
