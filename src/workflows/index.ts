// The workflows a worker registers. Workflow code only: no activity implementations, no Node built-ins.
import type * as DesiredStateRead from './desired-state/read';
import type * as ReportRead from './report/read';
import type * as Sweep from './sweep/workflow';
import type * as Usage from './usage/workflow';

export { lifecycleWorkflow } from './lifecycle';

/**
 * The sweep, loaded by its first call instead of with this module. The worker evaluates the workflow modules anew
 * for every run and keeps them while the run is cached (reuseV8Context), so every sleeping lifecycle carried the
 * sweep module and its input schema, which it never uses (about 0.6 MiB: bench/profiling/module-cost.ts).
 * Synchronous, so a sweep issues exactly the commands it issued when imported up front.
 */
export function sweepWorkflow(
  ...args: Parameters<typeof Sweep.sweepWorkflow>
): ReturnType<typeof Sweep.sweepWorkflow> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  const sweep = require('./sweep/workflow') as typeof Sweep;
  return sweep.sweepWorkflow(...args);
}

/** A desired-state plan's read of Marketo, loaded by its first call for the same reason as the sweep. */
export function desiredStateReadWorkflow(
  ...args: Parameters<typeof DesiredStateRead.desiredStateReadWorkflow>
): ReturnType<typeof DesiredStateRead.desiredStateReadWorkflow> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see sweepWorkflow
  const read = require('./desired-state/read') as typeof DesiredStateRead;
  return read.desiredStateReadWorkflow(...args);
}

/** The compliance report's reads of Marketo, loaded by their first call for the same reason as the sweep. */
export function reportReadWorkflow(
  ...args: Parameters<typeof ReportRead.reportReadWorkflow>
): ReturnType<typeof ReportRead.reportReadWorkflow> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see sweepWorkflow
  const read = require('./report/read') as typeof ReportRead;
  return read.reportReadWorkflow(...args);
}

/** The daily usage collector, loaded by its first call for the same reason as the sweep. */
export function usageCollectorWorkflow(
  ...args: Parameters<typeof Usage.usageCollectorWorkflow>
): ReturnType<typeof Usage.usageCollectorWorkflow> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see sweepWorkflow
  const usage = require('./usage/workflow') as typeof Usage;
  return usage.usageCollectorWorkflow(...args);
}
