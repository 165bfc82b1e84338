/**
 * Which expiry reminders go and when, as plain arithmetic on instants (ms): the lifecycle keeps the leads it has
 * handled for its current expiry and asks these. Leads come longest first (see reminderLeadsSchema).
 */

/**
 * A lead falling due this soon after its date was set is skipped too: "30d" asked for at the edge is rounded up
 * to whole seconds (Marketo keeps seconds) and the asker's clock may run ahead of the workflow's, so the 30d lead
 * of a 30-day access would otherwise fall due a moment after activation.
 */
export const REMINDER_SLACK_MS = 60_000;

export interface ReminderClock {
  leadsMs: readonly number[];
  /** Leads of this expiry already sent, passed over for a nearer one, or skipped when the date was set. */
  handledMs: readonly number[];
  expiresAtMs: number;
}

/**
 * The leads handled from the moment an expiry is set at `nowMs` (activation, an extension, a shorter date): those
 * at least as long as the access it leaves, within REMINDER_SLACK_MS, since whoever set the date knows it.
 */
export function leadsHandledWhenSet(
  leadsMs: readonly number[],
  expiresAtMs: number,
  nowMs: number,
): number[] {
  const left = expiresAtMs - nowMs;
  return leadsMs.filter((lead) => lead > left - REMINDER_SLACK_MS);
}

/** Leads due at `nowMs` and not handled yet, longest first. */
export function dueLeads(clock: ReminderClock, nowMs: number): number[] {
  return clock.leadsMs.filter((lead) => nowMs >= clock.expiresAtMs - lead && !clock.handledMs.includes(lead));
}

/**
 * The one reminder to send at `nowMs`, and every due lead counted as handled with it: when several fell due
 * together (workers or Marketo down for a while) only the nearest goes, since a burst says nothing it does not.
 */
export function reminderDue(
  clock: ReminderClock,
  nowMs: number,
): { leadMs: number; handledMs: number[] } | undefined {
  const due = dueLeads(clock, nowMs);
  const leadMs = due.at(-1);
  return leadMs === undefined ? undefined : { leadMs, handledMs: [...clock.handledMs, ...due] };
}

/** When the next reminder falls due; undefined when every lead is handled. */
export function nextReminderAt(clock: ReminderClock): number | undefined {
  const times = clock.leadsMs
    .filter((lead) => !clock.handledMs.includes(lead))
    .map((l) => clock.expiresAtMs - l);
  return times.length ? Math.min(...times) : undefined;
}
