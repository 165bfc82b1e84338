/**
 * Stops a server when the process that started it goes away, however it goes: a crash, SIGKILL, a closed
 * terminal. A small `sh` reads a pipe whose write end only this process holds; the kernel closes it when this
 * process dies, the watchdog reads end-of-file and stops the server (SIGTERM, then SIGKILL after a grace
 * period). Chosen over polling the parent's pid (no delay, no pid reuse, no timer in either process) and over
 * PR_SET_PDEATHSIG (out of Node's reach without a native addon). The server keeps its own process group, so a
 * terminal's Ctrl-C still reaches only `up`, which drains first.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * `read` is the shell's own, so the watchdog is one process. It acts only on the watched pid while that pid's
 * command line still holds the marker: a pid may be reused.
 */
const SCRIPT = `
while read -r _; do :; done
ours() { [ -r "/proc/$WATCHED_PID/cmdline" ] && tr '\\0' ' ' <"/proc/$WATCHED_PID/cmdline" | grep -qF -- "$WATCHED_MARKER"; }
ours || exit 0
kill -TERM "$WATCHED_PID" 2>/dev/null
waited=0
while ours && [ "$waited" -lt "$GRACE_TENTHS" ]; do sleep 0.1; waited=$((waited + 1)); done
ours && kill -KILL "$WATCHED_PID" 2>/dev/null
exit 0
`;

export interface OrphanWatchdog {
  /** The server was stopped on purpose: the watchdog goes without touching it. */
  disarm(): void;
}

/**
 * Watches `pid` on behalf of this process. `marker` is a string of the server's command line (e.g. its database
 * path); it travels in the environment, so the watchdog's own command line never matches a search for it.
 */
export function watchForOrphan(pid: number, marker: string, graceMs = 5_000): OrphanWatchdog {
  const watchdog = spawn('/bin/sh', ['-c', SCRIPT], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      WATCHED_PID: String(pid),
      WATCHED_MARKER: marker,
      GRACE_TENTHS: String(Math.ceil(graceMs / 100)),
    },
  });
  // Neither the watchdog nor the pipe may keep this process alive; the pipe's end is the whole message.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  watchdog.stdin?.on('error', () => undefined);
  return {
    disarm() {
      watchdog.kill('SIGKILL');
      watchdog.stdin?.destroy();
    },
  };
}
