/** Helpers for tests that start processes: bounded waits, and checks by PID. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** True while a process with this PID exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until no process with this PID exists. */
export function waitForExit(pid: number, timeoutMs = 15_000): Promise<true> {
  return waitFor(`process ${pid} to end`, () => (isRunning(pid) ? undefined : true), timeoutMs);
}

/** Reads a JSON file once it exists and parses. */
export function readJsonWhenPresent<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // being written
  }
}

/** Resolves with the exit code and signal of a child process (at once if it has already exited). */
export function exitOf(
  child: ChildProcess,
  timeoutMs = 20_000,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Kills each PID still running with SIGKILL: the last-resort cleanup of a test that failed halfway. */
export function killIfRunning(...pids: Array<number | undefined>): void {
  for (const pid of pids) {
    if (pid !== undefined && isRunning(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended in the meantime
      }
    }
  }
}
