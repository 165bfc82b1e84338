/**
 * The daily usage collector: one activity reads Marketo's Usage API (two calls, on the Marketo queue with
 * every other Marketo call) and keeps per-user daily counts in the store past Marketo's 7 days.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { UsageActivities, UsageCollectionReport } from '../../activities/types';
import { MARKETO_QUEUE_SUFFIX } from '../lifecycle';

export async function usageCollectorWorkflow(): Promise<UsageCollectionReport> {
  const { collectUsage } = proxyActivities<UsageActivities>({
    taskQueue: `${workflowInfo().taskQueue}${MARKETO_QUEUE_SUFFIX}`,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '20 seconds',
    // A day's collection may wait out a Marketo outage for hours; the next day's reads 7 days again anyway.
    scheduleToCloseTimeout: '20 hours',
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
  });
  return collectUsage();
}
