import type { Writable } from 'node:stream';
import { maskPersonalData } from './mask';
import {
  type DeliveryAttempt,
  type LifecycleNotification,
  type Notifier,
  prepareNotification,
} from './types';

/**
 * One JSON line per event, written on its first delivery attempt only (a retry is for the webhook, and one
 * event must not read as five): greppable by humans, parseable by log shippers. Emails are masked (see mask.ts):
 * a log is copied to places personal data must not reach; the workflow id identifies the lifecycle.
 */
export class LogNotifier implements Notifier {
  constructor(private readonly stream: Writable = process.stdout) {}

  notify(event: LifecycleNotification, delivery?: DeliveryAttempt): Promise<void> {
    if (delivery !== undefined && delivery.attempt > 1) {
      // Still validated, so a bad event fails the same way on every attempt.
      prepareNotification(event);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      // Inside the executor so a validation error is a rejection, like every other failure here.
      const line = `${JSON.stringify({ type: 'lifecycle-notification', ...maskPersonalData(prepareNotification(event)) })}\n`;
      this.stream.write(line, (error) => (error ? reject(error) : resolve()));
    });
  }
}
