/**
 * What every activity of this worker does around its body, in one place: it heartbeats while in flight and
 * leaves every error classified for Temporal's retries. Registered on each worker as `interceptors.activity`.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { AdminConsoleError } from '../marketo/admin-console';
import { isMarketoApiError } from '../marketo/errors';

/**
 * Often enough that a workflow's heartbeat timeout (the sweep uses 20 s) sees at least three beats per window,
 * rarely enough to cost nothing: the SDK batches heartbeats to the server anyway.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * Temporal's activity retries are the one retry layer: this turns the client's classification into a
 * failure Temporal understands (non-retryable where retrying cannot help, a delay where Marketo says how long).
 */
export function toActivityFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (isMarketoApiError(error)) {
    return ApplicationFailure.create({
      type: `Marketo.${error.kind}`,
      message: `${error.message}. ${error.hint}`,
      nonRetryable: !error.retryable,
      ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
      details: [{ code: error.code, httpStatus: error.httpStatus ?? null }],
    });
  }
  if (error instanceof AdminConsoleError) {
    return ApplicationFailure.create({
      type: 'AdminConsole',
      message: error.message,
      nonRetryable: !error.retryable,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ type: 'Unexpected', message, nonRetryable: false });
}

/**
 * Heartbeats while the call is in flight: a worker that dies stops heartbeating, and the server retries the
 * attempt after the workflow's `heartbeatTimeout` instead of its much longer `startToCloseTimeout`. Heartbeats
 * carry no details, so nothing personal or secret goes to the server.
 */
function heartbeating(context: Context, intervalMs: number): () => void {
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  return () => clearInterval(timer);
}

/** The interceptor, with another heartbeat interval for tests that cannot wait for the real one. */
export function heartbeatAndClassify(
  intervalMs: number = HEARTBEAT_INTERVAL_MS,
): ActivityInterceptorsFactory {
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const stop = heartbeating(context, intervalMs);
        try {
          return await next(input);
        } catch (error) {
          throw toActivityFailure(error);
        } finally {
          stop();
        }
      },
    },
  });
}

/** For `interceptors: { activity: activityInterceptors }` in every worker that runs these activities. */
export const activityInterceptors: ActivityInterceptorsFactory[] = [heartbeatAndClassify()];
