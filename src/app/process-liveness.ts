import fs from 'node:fs';

/**
 * Whether a process still runs. A zombie does not: it has exited and only waits to be reaped, which never
 * happens to an orphan where PID 1 reaps only its own children (as in many containers), yet `kill(pid, 0)`
 * still succeeds on it.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc to ask: trust kill(pid, 0)
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
}
