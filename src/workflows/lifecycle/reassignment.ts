/**
 * A new owner or ticket in place: who vouches for the access moves, and the user, its custom service and the
 * integration's credentials stay as they are. Recorded in the timeline and the audit log, and published in the
 * memo that `list` reads; an attestation waiting for an answer is asked again of the new owner.
 */
import type { ReassignInput } from '../../domain/lifecycle-messages';
import type { LifecycleRequest } from '../../domain/lifecycle-request';
import type { LifecycleStatus } from '../../domain/lifecycle-status';
import { askNewOwner } from './attestation';
import type { Lifecycle } from './lifecycle';
import { republishOwner } from './visibility';

type Holder = Pick<LifecycleStatus, 'owner' | 'ticket'>;

/** What the status would hold after `input`: a field not given stays, `null` clears it. */
function afterReassign(status: Holder, input: ReassignInput): Holder {
  const pick = (given: string | null | undefined, current: string | undefined) =>
    given === undefined ? current : (given ?? undefined);
  return { owner: pick(input.owner, status.owner), ticket: pick(input.ticket, status.ticket) };
}

/** Why `input` is refused now; undefined when it may go ahead (a change to the same values is allowed, and a no-op). */
export function reassignRefusal(lc: Lifecycle, input: ReassignInput): string | undefined {
  if (lc.ended || lc.deactivating || lc.revokeRequest) {
    const state = lc.ended ? lc.status.phase : 'ending';
    return `Only a running lifecycle changes its owner or ticket; this one is ${state}.`;
  }
  if (afterReassign(lc.status, input).owner === undefined && lc.policy.attestEveryMs !== undefined)
    return 'owner: cannot be cleared while the policy asks the owner to attest; give the new owner instead';
  return undefined;
}

const shown = (value: string | undefined) => value ?? 'none';

export function reassign(lc: Lifecycle, input: ReassignInput): LifecycleStatus {
  const { status } = lc;
  const before: Holder = { owner: status.owner, ticket: status.ticket };
  const after = afterReassign(status, input);
  if (after.owner === before.owner && after.ticket === before.ticket) return status;
  if (after.owner === undefined) delete status.owner;
  else status.owner = after.owner;
  if (after.ticket === undefined) delete status.ticket;
  else status.ticket = after.ticket;
  status.reassignments = (status.reassignments ?? 0) + 1;
  const changed = [
    ...(after.owner !== before.owner ? [`owner ${shown(before.owner)} → ${shown(after.owner)}`] : []),
    ...(after.ticket !== before.ticket ? [`ticket ${shown(before.ticket)} → ${shown(after.ticket)}`] : []),
  ];
  lc.record('reassigned', changed.join(', '));
  void lc.audit('reassigned', `reassigned/${status.reassignments}`, {
    actor: input.actor,
    reason: input.reason,
    detail: {
      ownerFrom: before.owner ?? null,
      ownerTo: after.owner ?? null,
      ticketFrom: before.ticket ?? null,
      ticketTo: after.ticket ?? null,
    },
  });
  republishOwner(after);
  if (after.owner !== before.owner) askNewOwner(lc);
  return status;
}

/** The request as it stands now: its owner and ticket are the status's, which a reassignment may have changed. */
export function requestAsItStands(lc: Lifecycle): LifecycleRequest {
  const { owner, ticket } = lc.status;
  const { owner: _asStarted, ticket: _ticketAsStarted, ...rest } = lc.request;
  return { ...rest, ...(owner !== undefined ? { owner } : {}), ...(ticket !== undefined ? { ticket } : {}) };
}
