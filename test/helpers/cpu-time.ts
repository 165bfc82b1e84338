/**
 * CPU time for the "is it fast enough" assertions of unit tests. A wall-clock bound fails whenever the shared
 * CI machine pauses the test process or runs something else on its core; CPU time only grows while this
 * process runs, so a bound on it still fails for an algorithm that is truly slow and never for a busy machine.
 * Wall-clock figures belong to the bench (bench/pathological-inputs.ts).
 */

/** The CPU milliseconds (user and system, all threads of this process) that `run` took, and its result. */
export function cpuTimed<T>(run: () => T): { cpuMs: number; result: T } {
  const before = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000, result };
}
