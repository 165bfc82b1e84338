/**
 * Graded reminders with mocked activities on the time-skipping server: one reminder per lead time (default 30d,
 * 7d, 1d) and expiry, none for a lead falling due within a minute of the date being set, and an extension
 * re-arming them all for the new date.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extendUpdate } from '../../../src/workflows/messages';
import type { LifecycleNotification } from '../../../src/notifications';
import {
  DAY,
  inDays,
  mockActivities,
  request,
  start,
  startLifecycleTestEnv,
  statusWhen,
  type LifecycleTestEnv,
} from './support';

/** Each reminder as `lead@expiry`, in the order sent. */
const sent = (reminders: LifecycleNotification[]) =>
  reminders.map((r) => `${String(r.details?.['lead'])}@${String(r.details?.['expiresAt'])}`);

/** The time a reminder went out, in days before `expiresAt`. */
const daysAhead = (reminder: LifecycleNotification, expiresAt: string) =>
  (Date.parse(expiresAt) - Date.parse(reminder.at)) / DAY;

describe('graded reminders (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('sends the default 30d, 7d and 1d reminders once each, at their lead', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({ expiresAt: inDays(40, await t.now()) });
      const final = await (await start(t, queue, req)).result();
      assert.equal(final.deactivation?.cause, 'expired');
      const reminders = mocks.of('reminder');
      assert.deepEqual(
        sent(reminders),
        ['30d', '7d', '1d'].map((lead) => `${lead}@${req.expiresAt}`),
      );
      for (const [i, lead] of [30, 7, 1].entries()) {
        const ahead = daysAhead(reminders[i]!, req.expiresAt);
        assert.ok(ahead <= lead && ahead > lead - 0.5, `the ${lead}d reminder went ${ahead} days ahead`);
      }
      assert.equal(final.timeline.filter((e) => e.event === 'reminder sent').length, 3);
    });
  });

  it('skips the leads at least as long as the access when the expiry is set, and sends the rest at their lead', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      // 5 days: the 30d and 7d leads are longer than the access, and whoever set the date knows it.
      const req = request({ expiresAt: inDays(5, await t.now()) });
      await (await start(t, queue, req)).result();
      const reminders = mocks.of('reminder');
      assert.deepEqual(sent(reminders), [`1d@${req.expiresAt}`]);
      const ahead = daysAhead(reminders[0]!, req.expiresAt);
      assert.ok(ahead <= 1 && ahead > 0.5, `the 1d reminder went ${ahead} days ahead`);
    });
  });

  it('sends no 30d reminder to a 30-day access whose date was rounded up to the next second', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      // As the edge turns "30d" into a date: whole seconds, rounded up, so a little more than 30 days.
      const expiresAt = new Date(Math.ceil(((await t.now()) + 30 * DAY + 500) / 1000) * 1000).toISOString();
      const req = request({ expiresAt });
      await (await start(t, queue, req)).result();
      assert.deepEqual(sent(mocks.of('reminder')), [`7d@${expiresAt}`, `1d@${expiresAt}`]);
    });
  });

  it('an extension re-arms every lead for the new date; the old date gets no more', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const t0 = await t.now();
      const req = request({ expiresAt: inDays(40, t0), policy: { reminderLeadsMs: ['7d', '30d'] } });
      const handle = await start(t, queue, req);
      await statusWhen(handle, (s) => s.phase === 'active');
      await t.env.sleep(11 * DAY);
      await statusWhen(handle, (s) => s.timeline.some((e) => e.event === 'reminder sent'));
      const later = inDays(100, t0);
      await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: later }] });
      const final = await handle.result();
      assert.equal(final.expiresAt, later);
      assert.deepEqual(sent(mocks.of('reminder')), [`30d@${req.expiresAt}`, `30d@${later}`, `7d@${later}`]);
    });
  });
});
