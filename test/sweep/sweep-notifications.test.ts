/**
 * Where a sweep's report goes beyond the workflow result: every line reaches the notifications (`sweep-lines`,
 * in parts), even past the report's SWEEP_LINE_LIMIT, and a notification that cannot be delivered is recorded
 * in the report instead of vanishing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SWEEP_LINE_LIMIT, type SweepLine } from '../../src/domain/sweep-policy';
import { WebhookError, type LifecycleNotification } from '../../src/notifications';
import { withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { runSweep, seededEmails } from './support';

const USERS = SWEEP_LINE_LIMIT + 150;

describe('sweep notifications', () => {
  let h: Harness;

  withDevServerHarness(
    (_, harness) => {
      h = harness;
      h.sandbox.operator.seedUsers({ count: USERS, prefix: 'many' });
    },
    // Marketo's own rate limit out of the way: the call budget is another test's subject.
    { sandbox: { rateLimit: { calls: 10_000, windowMs: 1000 } } },
  );

  it('every line reaches the notifications, past the report limit', async () => {
    const report = await runSweep(h, { policy: { requireExpiry: 'report' } }, 'many-lines');
    assert.equal(report.counts.reported, USERS);
    assert.equal(report.lines.length, SWEEP_LINE_LIMIT, 'the report keeps the first lines');
    assert.equal(report.moreLines, USERS - SWEEP_LINE_LIMIT);
    const parts = h.notifier.of('sweep-lines', report.sweepId);
    const lines = parts.flatMap((p) => p.details?.['lines'] as SweepLine[]);
    assert.deepEqual(lines.map((l) => l.email).sort(), seededEmails('many', USERS).sort());
    assert.deepEqual(
      parts.map((p) => p.details?.['part']),
      parts.map((_, i) => i + 1),
      'numbered parts',
    );
    assert.deepEqual(report.notifications, {
      lineParts: parts.length,
      failedLineParts: 0,
      reportDelivered: true,
    });
    const [sent] = h.notifier.of('sweep-report', report.sweepId);
    assert.equal(sent?.details?.['lineParts'], parts.length);
  });

  it('a report notification that cannot be delivered is recorded in the report', async () => {
    const deliver = h.notifier.notify.bind(h.notifier);
    // Refused for good, so the sweep does not wait out the retries' deadline.
    const refused = new WebhookError(
      'webhook http://127.0.0.1/… redirect refused (HTTP 302)',
      'fix it',
      false,
    );
    h.notifier.notify = (event: LifecycleNotification) =>
      event.kind === 'sweep-report' ? Promise.reject(refused) : deliver(event);
    try {
      const report = await runSweep(h, { policy: { requireExpiry: 'report' }, dryRun: true }, 'undelivered');
      assert.equal(report.notifications?.reportDelivered, false);
      assert.match(report.notifications?.problem ?? '', /redirect refused \(HTTP 302\)/);
      assert.equal(report.notifications?.failedLineParts, 0);
      assert.ok((report.notifications?.lineParts ?? 0) >= 1);
    } finally {
      h.notifier.notify = deliver;
    }
  });
});
