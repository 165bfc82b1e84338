/**
 * The product's own metrics, on the SDK runtime's meter so that they leave through the same Prometheus endpoint
 * as the SDK's (`up --metrics-port`, the worker's METRICS_BIND_ADDRESS). Tags never hold an email, a client id or
 * a secret: only kinds and Marketo's codes, so the series stay few and nothing personal leaves the process.
 */
import type { MetricMeter } from '@temporalio/common';
import type { MarketoCallEvent } from '../marketo/http';
import type { AuditEvent, AuditLog } from '../store/types';

export interface ProductMetrics {
  /** Every Marketo HTTP exchange: the client's `onCall`. */
  marketoCall(event: MarketoCallEvent): void;
  /** Wraps the audit log: each appended event counted by kind, and the sweep's changes by action. */
  countingAudit(inner: AuditLog): AuditLog;
}

export interface ProductMetricsOptions {
  /** The Marketo call budget of this worker's queue, when limited: exported so calls can be read against it. */
  budget?: { calls: number; windowMs: number } | undefined;
}

export function createProductMetrics(
  meter: MetricMeter,
  options: ProductMetricsOptions = {},
): ProductMetrics {
  const calls = meter.createCounter(
    'marketo_api_users_marketo_calls',
    'calls',
    'Marketo HTTP calls by kind and answer: ok, or the error code (606 and 615 throttled, 607 daily quota)',
  );
  const events = meter.createCounter(
    'marketo_api_users_audit_events',
    'events',
    'Audit events appended, by kind',
  );
  const sweepActions = meter.createCounter(
    'marketo_api_users_sweep_actions',
    'actions',
    'Changes the sweep made, by action',
  );
  if (options.budget) {
    meter
      .createGauge(
        'marketo_api_users_marketo_budget_calls',
        'int',
        'calls',
        'Marketo calls this queue may make per budget window',
      )
      .set(options.budget.calls, { window_seconds: String(Math.round(options.budget.windowMs / 1000)) });
  }
  const count = (event: AuditEvent) => {
    events.add(1, { kind: event.kind });
    const action = event.detail.action;
    if (event.kind === 'sweep-action' && typeof action === 'string') sweepActions.add(1, { action });
  };
  return {
    marketoCall: (event) => calls.add(1, { kind: event.kind, answer: event.code ?? 'ok' }),
    countingAudit: (inner) => ({
      append: async (event) => {
        await inner.append(event);
        count(event);
      },
      query: (filter) => inner.query(filter),
      knownIds: (ids) => inner.knownIds(ids),
    }),
  };
}
