/**
 * The sweep's activity proxies, declared once. Every Marketo touch is a one-call activity on the Marketo queue,
 * so the sweep stays inside the call budget shared with every lifecycle.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AuditActivities, MarketoActivities, SupportActivities } from '../../activities/types';
import { AUDIT, MARKETO_QUEUE_SUFFIX, notificationOptions } from '../lifecycle';

/** How long each sweep notification is retried before the report lists it as not delivered. */
const SWEEP_NOTIFY_DEADLINE_MS = 5 * 60 * 1000;

const RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 6,
};
// The workers heartbeat every 5 s while a call is in flight (src/activities/interceptor.ts): an attempt held by
// a dead worker is retried after 20 s instead of 2 minutes. 20 s leaves room for three missed beats and for
// slow Marketo answers, which keep beating however long they take.
const TIMEOUTS = { startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds' } as const;

export interface SweepActivities {
  marketo: MarketoActivities;
  support: SupportActivities;
  /**
   * Retried until delivered for a few minutes each, under one event id: a sweep must still end when the
   * webhook is down (what was not delivered is listed in its report).
   */
  notifier: Pick<SupportActivities, 'notify'>;
  /** Best effort, retried (the lifecycle's preset): an audit store that is down never stops a sweep. */
  auditor: AuditActivities;
}

/** The proxies for a sweep running on `taskQueue` (its Marketo calls go to that queue's Marketo twin). */
export function sweepActivities(taskQueue: string): SweepActivities {
  return {
    marketo: proxyActivities<MarketoActivities>({
      taskQueue: `${taskQueue}${MARKETO_QUEUE_SUFFIX}`,
      ...TIMEOUTS,
      retry: RETRY,
    }),
    support: proxyActivities<SupportActivities>({ ...TIMEOUTS, retry: RETRY }),
    notifier: proxyActivities<SupportActivities>(notificationOptions(SWEEP_NOTIFY_DEADLINE_MS)),
    auditor: proxyActivities<AuditActivities>(AUDIT),
  };
}
