/**
 * Gauges of the lifecycles as visibility sees them, refreshed on a timer: how many in each phase, how many
 * active ones expire within 7 and 30 days, and how long the oldest lifecycle waiting for an operator has
 * waited since it started. A handful of visibility calls per refresh whatever the number of lifecycles (counts,
 * and a list of the few awaiting an operator); never a Query to a workflow.
 */
import type { WorkflowClient } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { lifecyclePhaseSchema } from '../domain/lifecycle-status';
import { listQuery } from '../lifecycle-list';

const DAY_MS = 86_400_000;
const DEFAULT_EVERY_MS = 15_000;
const EXPIRY_WINDOWS = [
  { label: '7d', ms: 7 * DAY_MS },
  { label: '30d', ms: 30 * DAY_MS },
] as const;

export interface LifecycleGauges {
  /** Reads visibility once and sets every gauge. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface LifecycleGaugesOptions {
  everyMs?: number;
  now?: () => number;
  /** A refresh that failed (Temporal away a moment): told, never thrown; the gauges keep their last values. */
  onError?: (error: unknown) => void;
}

export function startLifecycleGauges(
  workflows: WorkflowClient,
  meter: MetricMeter,
  options: LifecycleGaugesOptions = {},
): LifecycleGauges {
  const now = options.now ?? Date.now;
  const byPhase = meter.createGauge(
    'marketo_api_users_lifecycles',
    'int',
    'lifecycles',
    'Lifecycles by phase',
  );
  const expiring = meter.createGauge(
    'marketo_api_users_lifecycles_expiring',
    'int',
    'lifecycles',
    'Active lifecycles whose access expires within the window',
  );
  const oldestWait = meter.createGauge(
    'marketo_api_users_operator_pending_oldest_seconds',
    'int',
    's',
    'Seconds since the oldest lifecycle awaiting an operator step was started (0 when none waits)',
  );
  const count = async (query: string) => (await workflows.count(query)).count;
  const refresh = async () => {
    const at = now();
    for (const phase of lifecyclePhaseSchema.options) {
      byPhase.set(await count(listQuery({ phase }, at)), { phase });
    }
    for (const window of EXPIRY_WINDOWS) {
      const query = listQuery({ phase: 'active', expiringWithin: window.ms }, at);
      expiring.set(await count(query), { within: window.label });
    }
    let oldest = at;
    for await (const waiting of workflows.list({ query: listQuery({ phase: 'awaiting-operator' }, at) })) {
      oldest = Math.min(oldest, waiting.startTime.getTime());
    }
    oldestWait.set(Math.round((at - oldest) / 1000));
  };
  let running: Promise<void> | undefined;
  const tick = () => {
    // A refresh slower than the period is not stacked on: the next tick after it does the work.
    running ??= refresh()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, options.everyMs ?? DEFAULT_EVERY_MS);
  timer.unref();
  return {
    refresh,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
