/**
 * The reminder arithmetic on its own: which leads are handled when a date is set, which reminder goes when
 * several fell due together, and when the next one falls due. The lifecycle tests show the same rules end to
 * end; the nearest-only rule is shown here because reaching it there needs workers down across skipped weeks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  REMINDER_SLACK_MS,
  dueLeads,
  leadsHandledWhenSet,
  nextReminderAt,
  reminderDue,
} from '../../src/domain/reminder-schedule';

const DAY = 86_400_000;
const LEADS = [30 * DAY, 7 * DAY, DAY];
const EXPIRY = Date.parse('2027-03-01T00:00:00Z');

describe('reminder schedule', () => {
  it('sends only the nearest of the leads that fell due together, and counts all of them handled', () => {
    // Workers were down from 40 days before the expiry to half a day before it: all three leads passed unseen.
    const clock = { leadsMs: LEADS, handledMs: [], expiresAtMs: EXPIRY };
    const now = EXPIRY - DAY / 2;
    assert.deepEqual(dueLeads(clock, now), LEADS);
    assert.deepEqual(reminderDue(clock, now), { leadMs: DAY, handledMs: LEADS });
    assert.equal(nextReminderAt({ ...clock, handledMs: LEADS }), undefined);
  });

  it('sends the nearer of two due leads and keeps the next one armed', () => {
    const clock = { leadsMs: LEADS, handledMs: [], expiresAtMs: EXPIRY };
    const now = EXPIRY - 5 * DAY;
    assert.deepEqual(reminderDue(clock, now), { leadMs: 7 * DAY, handledMs: [30 * DAY, 7 * DAY] });
    assert.equal(nextReminderAt({ ...clock, handledMs: [30 * DAY, 7 * DAY] }), EXPIRY - DAY);
  });

  it('sends nothing before a lead falls due, or for a lead already handled', () => {
    const clock = { leadsMs: LEADS, handledMs: [30 * DAY], expiresAtMs: EXPIRY };
    assert.equal(reminderDue(clock, EXPIRY - 7 * DAY - 1), undefined);
    assert.deepEqual(reminderDue(clock, EXPIRY - 7 * DAY), {
      leadMs: 7 * DAY,
      handledMs: [30 * DAY, 7 * DAY],
    });
    assert.equal(nextReminderAt(clock), EXPIRY - 7 * DAY);
  });

  it('counts the leads falling due within a minute of the date being set as handled', () => {
    assert.deepEqual(leadsHandledWhenSet(LEADS, EXPIRY, EXPIRY - 5 * DAY), [30 * DAY, 7 * DAY]);
    // A 30-day access whose date was rounded up past 30 days: its 30d lead would fall due 0.4 s later.
    assert.deepEqual(leadsHandledWhenSet(LEADS, EXPIRY, EXPIRY - 30 * DAY - 400), [30 * DAY]);
    assert.deepEqual(leadsHandledWhenSet(LEADS, EXPIRY, EXPIRY - 30 * DAY - REMINDER_SLACK_MS - 1), []);
    assert.deepEqual(leadsHandledWhenSet(LEADS, EXPIRY, EXPIRY - 40 * DAY), []);
  });
});
