import type { Writable } from 'node:stream';
import { z } from 'zod';
import { FanoutNotifier } from './fanout-notifier';
import { LogNotifier } from './log-notifier';
import type { Notifier } from './types';
import { WebhookNotifier } from './webhook-notifier';

export const WEBHOOK_URL_ENV = 'MARKETO_API_USERS_WEBHOOK_URL';
export const WEBHOOK_TIMEOUT_ENV = 'MARKETO_API_USERS_WEBHOOK_TIMEOUT_MS';

const webhookUrlSchema = z.url({ protocol: /^https?$/ });
const timeoutSchema = z.coerce.number().int().min(100).max(300_000);

export interface NotifierFromEnvOptions {
  stream?: Writable;
  fetch?: typeof globalThis.fetch;
}

/** Always logs; also POSTs to MARKETO_API_USERS_WEBHOOK_URL when set. */
export function createNotifierFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: NotifierFromEnvOptions = {},
): Notifier {
  const log = new LogNotifier(options.stream);
  const url = env[WEBHOOK_URL_ENV]?.trim();
  if (!url) return log;
  // The value is never echoed: webhook URLs usually embed a token.
  if (!webhookUrlSchema.safeParse(url).success) {
    throw new Error(`${WEBHOOK_URL_ENV} must be an http:// or https:// URL`);
  }
  const rawTimeout = env[WEBHOOK_TIMEOUT_ENV]?.trim();
  let timeoutMs: number | undefined;
  if (rawTimeout) {
    const parsed = timeoutSchema.safeParse(rawTimeout);
    if (!parsed.success) throw new Error(`${WEBHOOK_TIMEOUT_ENV} must be an integer between 100 and 300000`);
    timeoutMs = parsed.data;
  }
  const webhook = new WebhookNotifier(url, { fetch: options.fetch, timeoutMs });
  return new FanoutNotifier([log, webhook]);
}
