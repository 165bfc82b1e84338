/**
 * Ending access: the user is locked (its expiry set to now, which Marketo enforces) and the stored secret deleted.
 * Ending before activation undoes instead, and reports what was undone.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { MarketoUserView } from '../../activities/types';
import type { DeactivationCause } from '../../domain/lifecycle-status';
import { missedAttestationDetail } from './attestation';
import { checkDrift } from './active';
import type { EndedBeforeActive } from './failures';
import type { Lifecycle } from './lifecycle';
import { endRotation } from './rotation';
import { publishVisibility } from './visibility';

/** Marketo would not lock this user by itself (again, after an admin's unlock): no expiry, or one still ahead. */
function expiryStillAhead(user: MarketoUserView): boolean {
  return user.expiresAt === null || Date.parse(user.expiresAt) > Date.now();
}

/** Locks the user and answers how it ended up. */
async function lockUser(lc: Lifecycle, userId: string, cause: DeactivationCause): Promise<string> {
  const marketo = lc.activities.marketoMustFinish;
  const before = cause === 'expired' ? await checkDrift(lc, false) : await marketo.getUser(userId);
  if (!before) return 'gone';
  if (before.isLocked && !expiryStillAhead(before)) return 'already locked';
  const after = await marketo.expireUserNow(userId);
  if (before.isLocked) {
    // Locked for another reason, or by hand, with an expiry still ahead: an admin's unlock would give access
    // back. The expiry is what keeps it ended.
    return after ? 'already locked; its expiry set to now' : 'gone';
  }
  if (!after) return 'gone';
  if (after.isLocked) return 'locked';
  const { secretRef, clientId } = lc.status;
  const evidence = await marketo.confirmUserLocked({
    userid: userId,
    ...(secretRef ? { secretRef } : {}),
    ...(clientId ? { clientId } : {}),
  });
  return evidence === 'token-refused' ? 'locked (its service is refused a token)' : evidence;
}

/** The status and timeline of an ended lifecycle, however it ended. */
function markDeactivated(lc: Lifecycle, cause: DeactivationCause, outcome: string): void {
  lc.status.phase = 'deactivated';
  publishVisibility(lc.status);
  lc.status.deactivation = {
    at: new Date().toISOString(),
    cause,
    outcome,
    ...(lc.revokeRequest?.reason ? { reason: lc.revokeRequest.reason } : {}),
  };
  lc.record('deactivated', outcome);
  const revoke = cause === 'revoked' ? lc.revokeRequest : undefined;
  const missed = cause === 'attestation-missed' ? missedAttestationDetail(lc) : {};
  void lc.audit(cause, 'deactivated', {
    actor: revoke?.actor,
    reason: revoke?.reason,
    detail: { outcome, ...missed },
  });
}

export async function deactivate(lc: Lifecycle, cause: DeactivationCause): Promise<void> {
  const { status } = lc;
  lc.deactivating = true;
  lc.record('deactivating', cause);
  const outcome = status.userId ? await lockUser(lc, status.userId, cause) : 'no user to lock';
  await endRotation(lc, cause);
  if (status.secretRef) await lc.activities.supportMustFinish.deleteSecret(status.secretRef);
  markDeactivated(lc, cause, outcome);
  await lc.notify('deactivated', `Access of ${lc.request.email} ended (${cause}): ${outcome}`, {
    cause,
    outcome,
    drift: status.drift,
  });
}

/** Access ended while provisioning (revoked, or expired): what was made is undone by now; this says so. */
export async function endBeforeActive(
  lc: Lifecycle,
  ended: EndedBeforeActive,
  undone: string[],
): Promise<void> {
  const { status } = lc;
  const cause = ended.endedBy;
  const outcome = `${cause} before activation; undone: ${undone.join(', ') || 'nothing'}`;
  status.pendingOperatorAction = undefined;
  markDeactivated(lc, cause, outcome);
  const message = `Access of ${lc.request.email} ended (${cause}) before it became active: ${outcome}`;
  await CancellationScope.nonCancellable(() => lc.notify('deactivated', message, { cause, outcome }));
}
