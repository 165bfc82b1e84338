/**
 * The active period: asleep until the reminder, the expiry, a revoke, an extension or a drift check; Marketo's
 * expiry is compared with the workflow's, and the workflow's date wins.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import type { MarketoUserView } from '../../activities/types';
import { formatDuration } from '../../domain/durations';
import type { DeactivationCause } from '../../domain/lifecycle-status';
import {
  dueLeads,
  leadsHandledWhenSet,
  nextReminderAt,
  reminderDue,
  type ReminderClock,
} from '../../domain/reminder-schedule';
import { advanceAttestation, attestationMissed, attestationWakeAt } from './attestation';
import { sameInstant, type Lifecycle } from './lifecycle';
import { advanceRotation, rotationReady, rotationWakeAt } from './rotation';

export type ActiveOutcome = DeactivationCause | 'continue-as-new';

/** Compares Marketo's expiry with ours and, when `correct`, puts ours back. */
export async function checkDrift(lc: Lifecycle, correct: boolean): Promise<MarketoUserView | null> {
  const { status } = lc;
  const user = await lc.activities.marketoMustFinish.getUser(status.userId!);
  if (!user || sameInstant(user.expiresAt, status.expiresAt)) return user;
  const drift = {
    detectedAt: new Date().toISOString(),
    workflowExpiresAt: status.expiresAt,
    marketoExpiresAt: user.expiresAt,
    corrected: correct,
  };
  status.drift.push(drift);
  lc.record('drift', `Marketo had ${user.expiresAt ?? 'no expiry'}, the workflow has ${status.expiresAt}`);
  if (correct) {
    await lc.activities.marketoMustFinish.setUserExpiry(user.userid, status.expiresAt);
    void lc.audit('drift-corrected', `drift/${status.drift.length}`, {
      detail: { marketoExpiresAt: user.expiresAt, workflowExpiresAt: status.expiresAt },
    });
  }
  const message = `Someone moved the expiry of ${lc.request.email} in Marketo; the workflow's date wins`;
  void lc.notify('drift', message, drift);
  return user;
}

/** The reminder arithmetic's view of the current expiry and the leads handled for it. */
function reminderClock(lc: Lifecycle): ReminderClock {
  const { reminded } = lc.state;
  const { expiresAt } = lc.status;
  return {
    leadsMs: lc.policy.reminderLeadsMs,
    handledMs: reminded?.expiresAt === expiresAt ? reminded.leadsMs : [],
    expiresAtMs: Date.parse(expiresAt),
  };
}

/** Takes a new expiry (activation, an extension, a shorter date): see leadsHandledWhenSet. */
function armReminders(lc: Lifecycle, now: number): void {
  const { expiresAt } = lc.status;
  if (lc.state.reminded?.expiresAt === expiresAt) return;
  lc.state.reminded = {
    expiresAt,
    leadsMs: leadsHandledWhenSet(lc.policy.reminderLeadsMs, Date.parse(expiresAt), now),
  };
}

/**
 * Sends the reminder of the nearest lead due and counts every due lead as handled (see reminderLeadsSchema: no
 * burst of late reminders). Handled at once, so the loop never sends it twice; `reminder sent` is recorded only
 * once delivered, and the run does not continue as new while it is in flight.
 */
export async function sendReminder(lc: Lifecycle): Promise<void> {
  const { status } = lc;
  const forExpiry = status.expiresAt;
  const due = reminderDue(reminderClock(lc), Date.now());
  if (due === undefined) return;
  const lead = due.leadMs;
  lc.state.reminded = { expiresAt: forExpiry, leadsMs: due.handledMs };
  const delivered = await lc.notify(
    'reminder',
    `Access of ${lc.request.email} expires at ${forExpiry} (in ${formatDuration(lead)} or less)`,
    { expiresAt: forExpiry, clientId: status.clientId, leadMs: lead, lead: formatDuration(lead) },
    Date.parse(forExpiry) - Date.now(),
  );
  if (delivered) lc.record('reminder sent', `expires ${forExpiry}, lead ${formatDuration(lead)}`);
}

/** Sleeps until something changes or `wakeAt`, then lets an extension being applied finish first. */
async function sleepUntil(lc: Lifecycle, wakeAt: number): Promise<void> {
  const expiryWhenWaiting = lc.status.expiresAt;
  const inFlightWhenWaiting = lc.notificationsInFlight;
  await condition(
    () =>
      lc.revokeRequest !== undefined ||
      lc.status.expiresAt !== expiryWhenWaiting ||
      lc.expiryChangeInFlight ||
      lc.driftCheckRequested ||
      rotationReady(lc) ||
      lc.notificationsInFlight !== inFlightWhenWaiting,
    Math.max(1, wakeAt - Date.now()),
  );
  await condition(() => !lc.expiryChangeInFlight);
}

/** Not while a notification is in flight: the next run would not know it, and send it again. */
function timeToContinueAsNew(lc: Lifecycle): boolean {
  const info = workflowInfo();
  return (
    lc.notificationsInFlight === 0 &&
    (info.historyLength > lc.input.continueAsNewAfterEvents || info.continueAsNewSuggested)
  );
}

export async function holdWhileActive(lc: Lifecycle): Promise<ActiveOutcome> {
  for (;;) {
    if (lc.revokeRequest) return 'revoked';
    const now = Date.now();
    const expiry = Date.parse(lc.status.expiresAt);
    if (now >= expiry && !lc.expiryChangeInFlight) return 'expired';
    if (attestationMissed(lc) && !lc.expiryChangeInFlight) return 'attestation-missed';
    if (!lc.expiryChangeInFlight) armReminders(lc, now);
    if (lc.driftCheckRequested && !lc.expiryChangeInFlight) {
      lc.driftCheckRequested = false;
      await checkDrift(lc, true);
      continue;
    }
    if (dueLeads(reminderClock(lc), now).length && !lc.expiryChangeInFlight) {
      await checkDrift(lc, true);
      // Not awaited: a webhook being retried must not keep revocations and extensions waiting.
      void sendReminder(lc);
      continue;
    }
    // After the reminder: a rotation falling due with it never keeps the reminder waiting, nor the reverse.
    if (!lc.expiryChangeInFlight && (await advanceRotation(lc))) continue;
    if (advanceAttestation(lc)) continue;
    const rotationAt = rotationWakeAt(lc) ?? expiry;
    const attestationAt = attestationWakeAt(lc) ?? expiry;
    await sleepUntil(
      lc,
      Math.min(nextReminderAt(reminderClock(lc)) ?? expiry, expiry, rotationAt, attestationAt),
    );
    if (timeToContinueAsNew(lc)) return 'continue-as-new';
  }
}
