/**
 * The lifecycle's activity proxies, declared once per run with named option presets. Marketo-calling activities
 * run on `<workflow queue>-marketo`, whose server-side rate limit is the call budget.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { AuditActivities, MarketoActivities, SupportActivities } from '../../activities/types';

export const MARKETO_QUEUE_SUFFIX = '-marketo';

// Every activity heartbeats while it runs (the worker wraps them), so an attempt lost with a dead worker, or
// handed to a poller that was already gone, is retried after 20 s instead of its 2-minute startToClose.
const HEARTBEAT_TIMEOUT = '20 seconds';

/** Provisioning gives up (and compensates) after an hour of retries. */
export const PROVISIONING: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * Deactivation, undo and extension never give up. At most a minute between attempts: once Marketo answers again,
 * an expired user is locked within the minute.
 */
export const MUST_FINISH: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

const MIN_NOTIFY_DEADLINE_MS = 60_000;

/**
 * Best-effort notification: every attempt until `deadlineMs` from now, at most 5 minutes apart. A deadline that
 * fits the event (a reminder is worthless after the expiry), long enough for an operator to mend a webhook.
 */
export function notificationOptions(deadlineMs: number): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: Math.max(MIN_NOTIFY_DEADLINE_MS, Math.floor(deadlineMs)),
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  };
}

/**
 * Audit events: best effort, but retried for a day at most 5 minutes apart, so a store that is down for a while
 * loses nothing; the event id makes every retry store once. A lifecycle never waits on the log to go on.
 */
export const AUDIT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

export interface LifecycleActivities {
  marketo: MarketoActivities;
  marketoMustFinish: MarketoActivities;
  support: SupportActivities;
  supportMustFinish: SupportActivities;
  /** A notifier whose attempts end at `deadlineMs` from now. */
  notifier(deadlineMs: number): Pick<SupportActivities, 'notify'>;
  auditor: AuditActivities;
}

/** The proxies of one run; `taskQueue` is the workflow's own, the Marketo queue is derived from it. */
export function lifecycleActivities(taskQueue: string): LifecycleActivities {
  const marketoQueue = `${taskQueue}${MARKETO_QUEUE_SUFFIX}`;
  return {
    marketo: proxyActivities<MarketoActivities>({ ...PROVISIONING, taskQueue: marketoQueue }),
    marketoMustFinish: proxyActivities<MarketoActivities>({ ...MUST_FINISH, taskQueue: marketoQueue }),
    support: proxyActivities<SupportActivities>(PROVISIONING),
    supportMustFinish: proxyActivities<SupportActivities>(MUST_FINISH),
    notifier: (deadlineMs) => proxyActivities<SupportActivities>(notificationOptions(deadlineMs)),
    auditor: proxyActivities<AuditActivities>(AUDIT),
  };
}
