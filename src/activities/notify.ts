import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WebhookError } from '../notifications';
import type { ActivityDeps } from './deps';
import type { NotifyActivities } from './types';

/** Reminders and reports, through whichever notifiers the worker was given. */
export function createNotifyActivities({ notifier }: Pick<ActivityDeps, 'notifier'>): NotifyActivities {
  return {
    notify: async (notification) => {
      try {
        await notifier.notify(notification, { attempt: currentAttempt() });
      } catch (error) {
        // Retried until delivered or the deadline the workflow set for this event passes.
        throw ApplicationFailure.create({
          type: 'NotificationFailed',
          message: error instanceof Error ? error.message : String(error),
          nonRetryable: !retryHelps(error),
        });
      }
    },
  };
}

/** The attempt number inside an activity; 1 when called directly (tests, tools). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** False only when every notifier that failed says trying again cannot help (e.g. an oversized answer). */
function retryHelps(error: unknown): boolean {
  const failures: unknown[] = error instanceof AggregateError ? error.errors : [error];
  return !failures.every((failure) => failure instanceof WebhookError && !failure.retryable);
}
