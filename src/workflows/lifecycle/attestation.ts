/**
 * Owner attestation: every `policy.attestEveryMs` the owner is asked, with the evidence, to vouch for the access.
 * The ask is repeated at half the answer window and escalated shortly before the deadline; no answer by the
 * deadline locks the user, as Entra's access reviews do when reviewers stay silent. An answer restarts the clock.
 */
import { condition } from '@temporalio/workflow';
import { formatDuration, MS_PER_DAY } from '../../domain/durations';
import type { AttestInput } from '../../domain/lifecycle-messages';
import type { Attestation, LifecycleStatus } from '../../domain/lifecycle-status';
import type { Lifecycle } from './lifecycle';

type Pending = NonNullable<Attestation['pending']>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The clock's first tick, at activation: nothing without policy.attestEveryMs. */
export function scheduleFirstAttestation(lc: Lifecycle): void {
  const every = lc.policy.attestEveryMs;
  if (every === undefined) return;
  lc.status.attestation = { nextRequestAt: iso(Date.now() + every), requests: 0, answers: 0 };
}

/** What the owner vouches for. Last use comes from the status when a usage collector put it there. */
export function attestationEvidence(lc: Lifecycle): Record<string, string> {
  const { status, request } = lc;
  const lastUsedAt =
    'lastUsedAt' in status && typeof status.lastUsedAt === 'string' ? status.lastUsedAt : 'unknown';
  return {
    owner: status.owner ?? 'none',
    ticket: status.ticket ?? 'none',
    role: status.roleName,
    permissions: request.role.permissions.join(', ').slice(0, 1000),
    lastUsedAt,
    expiresAt: status.expiresAt,
  };
}

/** The repeated ask, halfway through the window. */
const reminderAt = (pending: Pending, windowMs: number) => Date.parse(pending.requestedAt) + windowMs / 2;
/** The escalation: a day before the deadline, or a quarter of the window when that is shorter. */
const overdueAt = (pending: Pending, windowMs: number) =>
  Date.parse(pending.deadline) - Math.min(MS_PER_DAY, windowMs / 4);

/** When the attestation next needs the loop. */
export function attestationWakeAt(lc: Lifecycle): number | undefined {
  const attestation = lc.status.attestation;
  const pending = attestation?.pending;
  if (!pending) return attestation?.nextRequestAt ? Date.parse(attestation.nextRequestAt) : undefined;
  const window = lc.policy.attestationWindowMs;
  const times = [Date.parse(pending.deadline)];
  if (!pending.remindedAt) times.push(reminderAt(pending, window));
  if (!pending.overdueNotifiedAt) times.push(overdueAt(pending, window));
  return Math.min(...times);
}

/** The deadline passed without an answer. */
export function attestationMissed(lc: Lifecycle): boolean {
  const pending = lc.status.attestation?.pending;
  return pending !== undefined && Date.now() >= Date.parse(pending.deadline);
}

function ask(lc: Lifecycle, pending: Pending, round: 'request' | 'reminder' | 'overdue'): void {
  const evidence = attestationEvidence(lc);
  const kind = round === 'overdue' ? 'attestation-overdue' : 'attestation-requested';
  const how = `marketo-api-users attest ${lc.request.email} --by <who> [--decision keep|revoke]`;
  const message =
    round === 'overdue'
      ? `Nobody attested ${lc.request.email}: it is locked at ${pending.deadline} unless ${evidence.owner} answers (${how})`
      : `${evidence.owner}: does ${lc.request.email} still need its access? Answer by ${pending.deadline} with: ${how}`;
  const details = { round, deadline: pending.deadline, requestedAt: pending.requestedAt, ...evidence };
  void lc.notify(kind, message, details, Date.parse(pending.deadline) - Date.now());
  lc.record(
    round === 'overdue' ? 'attestation overdue' : `attestation ${round}ed`,
    `answer by ${pending.deadline}`,
  );
}

/** A new ask with a full window: the previous one, if any, is replaced (its reminders were not for this owner). */
function requestAttestation(lc: Lifecycle, attestation: Attestation, now: number): void {
  const window = lc.policy.attestationWindowMs;
  const asked: Pending = { requestedAt: iso(now), deadline: iso(now + window) };
  attestation.pending = asked;
  attestation.nextRequestAt = undefined;
  attestation.requests += 1;
  ask(lc, asked, 'request');
  void lc.audit('attestation-requested', `attestation/${attestation.requests}/requested`, {
    detail: { deadline: asked.deadline, window: formatDuration(window), ...attestationEvidence(lc) },
  });
}

/**
 * A new owner while an ask waits for an answer: the ask goes to the new owner at once, with a full window, since
 * the one asked may have left (often why the access changes hands) and the deadline would lock the user unasked.
 */
export function askNewOwner(lc: Lifecycle): void {
  const attestation = lc.status.attestation;
  if (attestation?.pending) requestAttestation(lc, attestation, Date.now());
}

/** Does the one attestation step that is due (ask, remind, escalate), if any; true when it did something. */
export function advanceAttestation(lc: Lifecycle): boolean {
  const attestation = lc.status.attestation;
  if (!attestation) return false;
  const now = Date.now();
  const window = lc.policy.attestationWindowMs;
  const pending = attestation.pending;
  if (!pending) {
    if (!attestation.nextRequestAt || now < Date.parse(attestation.nextRequestAt)) return false;
    requestAttestation(lc, attestation, now);
    return true;
  }
  if (!pending.remindedAt && now >= reminderAt(pending, window)) {
    pending.remindedAt = iso(now);
    // Workers down past the escalation too: the overdue notice says it all, a reminder beside it is noise.
    if (now < overdueAt(pending, window)) {
      ask(lc, pending, 'reminder');
      return true;
    }
  }
  if (!pending.overdueNotifiedAt && now >= overdueAt(pending, window)) {
    pending.overdueNotifiedAt = iso(now);
    ask(lc, pending, 'overdue');
    return true;
  }
  return false;
}

/** Why an attestation cannot be taken now; undefined when it can. */
export function attestRefusal(lc: Lifecycle): string | undefined {
  if (lc.status.phase === 'active' && !lc.deactivating && !lc.revokeRequest) return undefined;
  const state = lc.ended ? `ended (${lc.status.phase})` : lc.deactivating ? 'ending' : lc.status.phase;
  return `Only an active lifecycle can be attested; this one is ${state}.`;
}

/** The audit detail of a missed attestation: what was asked, and when. */
export function missedAttestationDetail(lc: Lifecycle): Record<string, string> {
  const pending = lc.status.attestation?.pending;
  return {
    requestedAt: pending?.requestedAt ?? 'unknown',
    deadline: pending?.deadline ?? 'unknown',
    ...attestationEvidence(lc),
  };
}

/** The owner's answer: recorded with its evidence; `revoke` answers once the user is locked. */
export async function attest(lc: Lifecycle, input: AttestInput): Promise<LifecycleStatus> {
  const now = Date.now();
  const decision = input.decision ?? 'keep';
  const attestation = (lc.status.attestation ??= { requests: 0, answers: 0 });
  const requestedAt = attestation.pending?.requestedAt ?? null;
  attestation.answers += 1;
  attestation.pending = undefined;
  attestation.last = { at: iso(now), by: input.by, decision, ...(input.note ? { note: input.note } : {}) };
  const every = lc.policy.attestEveryMs;
  attestation.nextRequestAt = every === undefined || decision === 'revoke' ? undefined : iso(now + every);
  lc.record('attested', `${decision} by ${input.by}${input.note ? `: ${input.note}` : ''}`);
  void lc.audit('attested', `attestation/answer/${attestation.answers}`, {
    actor: input.by,
    reason: input.note,
    detail: { decision, requestedAt, ...attestationEvidence(lc) },
  });
  if (decision === 'revoke') {
    lc.requestRevoke({ actor: input.by, reason: input.note ?? 'the owner attested: revoke' });
    await condition(() => lc.ended);
  }
  return lc.status;
}
