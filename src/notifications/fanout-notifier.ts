import type { DeliveryAttempt, LifecycleNotification, Notifier } from './types';

/**
 * Sends to every notifier even when some fail, so a broken webhook never hides the log line;
 * then fails if any failed, so the caller can retry.
 */
export class FanoutNotifier implements Notifier {
  readonly #notifiers: readonly Notifier[];

  constructor(notifiers: readonly Notifier[]) {
    this.#notifiers = [...notifiers];
  }

  async notify(event: LifecycleNotification, delivery?: DeliveryAttempt): Promise<void> {
    const results = await Promise.allSettled(
      this.#notifiers.map((notifier) => notifier.notify(event, delivery)),
    );
    const errors = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (errors.length > 0) {
      const messages = errors.map((error) => (error instanceof Error ? error.message : String(error)));
      throw new AggregateError(
        errors,
        `${errors.length} of ${this.#notifiers.length} notifiers failed: ${messages.join('; ')}`,
      );
    }
  }
}
