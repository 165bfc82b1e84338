/**
 * What the long-running scripts (`bench/`, `chaos/`, `bench/profiling/`) share: bounded concurrency, polling with
 * a deadline, stopping child processes, and a throwaway Temporal dev server. Scripts only: the sweep workflow
 * keeps its own deterministic `mapLimit`, and tests have their helpers under test/helpers/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { devServerFlags } from '../../src/temporal-servers/dev-server-flags';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `check` every `intervalMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in the items' order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return !!child && child.exitCode === null && child.signalCode === null;
}

/** Sends `signal`, then SIGKILL if the child has not exited after `graceMs`; resolves once it has exited. */
export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** An in-memory dev server without the UI on 127.0.0.1:`port`, quiet but for errors: a measurement's own. */
export function spawnHeadlessDevServer(cliPath: string, port: number): ChildProcess {
  return spawn(
    cliPath,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'error',
      ...devServerFlags(),
    ],
    { stdio: 'ignore' },
  );
}
