import { ApplicationFailure } from '@temporalio/common';
import { isMarketoApiError } from '../marketo/errors';
import { AdminConsoleError } from '../marketo/admin-console';

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

/** Runs an activity body so that every error leaves it classified. */
export async function classified<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
