import { Context } from '@temporalio/activity';

/**
 * Often enough that a workflow's heartbeat timeout (the sweep uses 20 s) sees at least three beats per window,
 * rarely enough to cost nothing: the SDK batches heartbeats to the server anyway.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;

type AnyFunction = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every activity of `activities` so it heartbeats while its call is in flight. A worker that dies then
 * stops heartbeating, and the server retries the attempt after the workflow's `heartbeatTimeout` instead of its
 * much longer `startToCloseTimeout`. Heartbeats carry no details: nothing personal or secret goes to the server.
 */
export function withHeartbeats<T extends { [K in keyof T]: AnyFunction }>(
  activities: T,
  intervalMs: number = HEARTBEAT_INTERVAL_MS,
): T {
  const wrapped = {} as T;
  for (const key of Object.keys(activities) as (keyof T)[]) {
    const activity = activities[key];
    wrapped[key] = (async (...args: never[]) => {
      const context = Context.current();
      context.heartbeat();
      const timer = setInterval(() => context.heartbeat(), intervalMs);
      try {
        return await activity(...args);
      } finally {
        clearInterval(timer);
      }
    }) as T[keyof T];
  }
  return wrapped;
}
