/** How long-running commands (`up`, `demo`) end on a signal. */
import { EXIT_INTERRUPTED } from './errors';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP (a closed terminal), which drains. A second one means "now":
 * exit at once; the orphan watchdog (src/app/orphan-watchdog.ts) then stops the Temporal server.
 */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    let received: string | undefined;
    const onSignal = (signal: string) => {
      if (received === undefined) {
        received = signal;
        resolve(signal);
        return;
      }
      process.stderr.write(`\n${signal} again: stopping at once, without draining\n`);
      process.exit(EXIT_INTERRUPTED);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  });
}
