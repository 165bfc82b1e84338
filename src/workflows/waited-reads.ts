/**
 * Reads of Marketo that a person or a CI job waits for (a desired-state plan, a compliance report): a few quick
 * retries, then the read fails and says so. Marketo calls go to the Marketo queue, one call per activity, so
 * these reads share the call budget with every lifecycle and sweep.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MarketoActivities, SupportActivities } from '../activities/types';
import { MARKETO_QUEUE_SUFFIX } from './lifecycle/activities';

/** user.json reads in flight at once: well inside Marketo's recommended 5 concurrent calls. */
export const DETAIL_CONCURRENCY = 4;

const WAITED_READ_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
  },
} as const;

export interface WaitedReads {
  marketo: MarketoActivities;
  support: SupportActivities;
}

export function waitedReads(): WaitedReads {
  return {
    marketo: proxyActivities<MarketoActivities>({
      taskQueue: `${workflowInfo().taskQueue}${MARKETO_QUEUE_SUFFIX}`,
      ...WAITED_READ_OPTIONS,
    }),
    support: proxyActivities<SupportActivities>(WAITED_READ_OPTIONS),
  };
}
