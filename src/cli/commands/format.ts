import type { LifecycleStatus } from '../../domain/lifecycle-status';

/** A lifecycle as a person reads it. */
export function describeStatus(status: LifecycleStatus, timelineLimit = 10): string[] {
  const lines = [
    `email:      ${status.email}`,
    `phase:      ${status.phase}`,
    `role:       ${status.roleName}${status.roleId !== undefined ? ` (id ${status.roleId})` : ''}`,
    `user id:    ${status.userId ?? '-'}`,
    `client id:  ${status.clientId ?? '-'}`,
    `secret:     ${status.secretRef ?? '-'}`,
    `expires at: ${status.expiresAt}${status.extensions ? ` (extended ${status.extensions}×)` : ''}`,
    `workflow:   ${status.workflowId}`,
  ];
  lines.push(...describeOwnerLines(status));
  if (status.pendingOperatorAction) {
    const action = status.pendingOperatorAction;
    lines.push(`operator action needed (${action.step}), before ${action.deadline}:`);
    for (const instruction of action.instructions) lines.push(`  ${instruction}`);
    if (action.lastVerificationError) lines.push(`  last check: ${action.lastVerificationError}`);
  }
  lines.push(...describeRotationLines(status));
  for (const drift of status.drift) {
    lines.push(
      `drift:      Marketo had ${drift.marketoExpiresAt ?? 'no expiry'} at ${drift.detectedAt}${drift.corrected ? ' (corrected)' : ''}`,
    );
  }
  if (status.deactivation) {
    lines.push(
      `ended:      ${status.deactivation.cause} at ${status.deactivation.at}: ${status.deactivation.outcome}`,
    );
  }
  if (status.failure) lines.push(`failure:    ${status.failure.type}: ${status.failure.message}`);
  lines.push('timeline:');
  for (const event of status.timeline.slice(-timelineLimit)) {
    lines.push(`  ${event.at}  ${event.event}${event.detail ? `: ${event.detail}` : ''}`);
  }
  return lines;
}

/** Both services of a rotation and their times; the last rotation's outcome; the next scheduled one. */
function describeRotationLines(status: LifecycleStatus): string[] {
  const lines: string[] = [];
  const rotation = status.rotation;
  if (rotation) {
    lines.push(
      `rotation:   ${rotation.number}, ${rotation.stage} (asked by ${rotation.requestedBy} at ${rotation.requestedAt})`,
    );
    if (rotation.stage === 'staging') {
      lines.push(`  in use:   ${rotation.retiring.clientId} (until the new service works)`);
      if (rotation.staged) lines.push(`  staged:   ${rotation.staged.clientId}`);
    } else {
      lines.push(`  new:      ${status.clientId ?? '-'} (handed over by \`credentials\`)`);
      const ends =
        rotation.stage === 'retiring' ? 'being retired now' : `works until ${rotation.overlapEndsAt}`;
      lines.push(`  old:      ${rotation.retiring.clientId} (${ends})`);
    }
    if (rotation.failedProofs)
      lines.push(`  WARNING:  the old credentials still worked at ${rotation.failedProofs} proof(s)`);
  }
  const last = status.lastRotation;
  if (last) lines.push(`last rotation: ${last.number} ${last.outcome} at ${last.at}: ${last.detail}`);
  if (status.nextRotationAt) lines.push(`next rotation: ${status.nextRotationAt}`);
  return lines;
}

/** Who vouches for the access, the ticket, and where its attestation stands. */
function describeOwnerLines(status: LifecycleStatus): string[] {
  const lines: string[] = [];
  if (status.owner || status.ticket) {
    lines.push(`owner:      ${status.owner ?? '-'}${status.ticket ? ` (ticket ${status.ticket})` : ''}`);
  }
  const attestation = status.attestation;
  if (!attestation) return lines;
  const last = attestation.last;
  if (last)
    lines.push(
      `attested:   ${last.decision} by ${last.by} at ${last.at}${last.note ? `: ${last.note}` : ''}`,
    );
  if (attestation.pending)
    lines.push(
      `attestation: asked ${attestation.pending.requestedAt}, answer by ${attestation.pending.deadline}`,
    );
  else if (attestation.nextRequestAt) lines.push(`next attestation: ${attestation.nextRequestAt}`);
  return lines;
}
