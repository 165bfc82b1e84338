/**
 * Provisioning, in this order: the workflow-id key check, the workspace, the role, the user, the custom service.
 * Every made thing goes on the undo stack as soon as it exists; between steps, access that ended stops it.
 */
import type { MarketoUserView, RolePairView } from '../../activities/types';
import {
  serviceDescription,
  serviceDisplayName,
  type LifecycleRequest,
} from '../../domain/lifecycle-request';
import { scheduleFirstAttestation } from './attestation';
import { invalidInput, stepFailed } from './failures';
import { sameInstant, type Lifecycle } from './lifecycle';
import { createServiceByOperator } from './operator-steps';
import { ensureRole } from './roles';
import { publishVisibility } from './visibility';

export async function provision(lc: Lifecycle): Promise<void> {
  const { status } = lc;
  const { support } = lc.activities;
  lc.record('requested', `expires ${status.expiresAt}`);
  lc.checkStillWanted();
  // Before anything in Marketo: a starter with another workflow-id key would make this a second lifecycle.
  await support.checkWorkflowIdKey(lc.input.workflowIdKeyFingerprint);
  const capabilities = await support.getAdminCapabilities();
  const workspaceId = await resolveWorkspaceId(lc);
  const roleId = await ensureRole(lc, capabilities.canCreateRoles);
  status.roleId = roleId;
  lc.checkStillWanted();
  const user = await ensureUser(lc, roleId, workspaceId);
  status.userId = user.userid;
  status.marketoUserId = user.id;
  lc.checkStillWanted();
  if (capabilities.canCreateServices) await createService(lc);
  else await createServiceByOperator(lc);
  lc.checkStillWanted();
  status.phase = 'active';
  const every = lc.policy.rotateEveryMs;
  if (every !== undefined) status.nextRotationAt = new Date(Date.now() + every).toISOString();
  scheduleFirstAttestation(lc);
  publishVisibility(status);
  lc.record('active', `until ${status.expiresAt}`);
  void lc.audit('onboarded', 'onboarded', {
    actor: lc.input.actor,
    reason: lc.request.reason,
    detail: {
      userId: status.userId ?? null,
      clientId: status.clientId ?? null,
      roleId: status.roleId ?? null,
      expiresAt: status.expiresAt,
    },
  });
}

/** A workspace named or numbered in the request must exist before the role is made (AllZones, 0, always does). */
export async function resolveWorkspaceId(lc: Lifecycle): Promise<number> {
  const { workspace } = lc.request.role;
  if (workspace === 0) return workspace;
  const workspaces = await lc.activities.marketo.listWorkspaces();
  if (typeof workspace === 'number') {
    if (!workspaces.some((w) => w.id === workspace)) {
      throw invalidInput([`role.workspace: no workspace with id ${workspace} in this Marketo instance`]);
    }
    return workspace;
  }
  const found = workspaces.find((w) => w.name.toLowerCase() === workspace.toLowerCase());
  if (!found)
    throw invalidInput([`role.workspace: no workspace named "${workspace}" in this Marketo instance`]);
  return found.id;
}

/**
 * A user this lifecycle created earlier (an invite whose answer was lost, a retried run): API-only, our names,
 * our exact expiry. Marketo keeps no creator field, and an expiry to the second is a fingerprint no hand-made
 * user shares by chance.
 */
export function isUserFromThisLifecycle(
  user: MarketoUserView,
  request: LifecycleRequest,
  roleId: number,
): boolean {
  return (
    user.apiOnly &&
    user.firstName === request.firstName &&
    user.lastName === request.lastName &&
    sameInstant(user.expiresAt, request.expiresAt) &&
    (user.roles.length === 0 || user.roles.some((r) => r.accessRoleId === roleId))
  );
}

export async function ensureUser(
  lc: Lifecycle,
  roleId: number,
  workspaceId: number,
): Promise<MarketoUserView> {
  const { request, status } = lc;
  const { marketo, marketoMustFinish } = lc.activities;
  const invited = await marketo.inviteApiOnlyUser({
    email: request.email,
    firstName: request.firstName,
    lastName: request.lastName,
    roleId,
    workspaceId,
    expiresAt: status.expiresAt,
    ...(request.reason ? { reason: request.reason } : {}),
  });
  const user = await marketo.getUser(request.email);
  const ours = user !== null && isUserFromThisLifecycle(user, request, roleId);
  const { previous, adopt } = lc.input;
  const takeable = invited === 'already-exists' && user !== null && !ours && user.apiOnly;
  // Ending a lifecycle locks its user and keeps it: a new lifecycle for the same email takes that user back.
  if (takeable && user.id === previous?.marketoUserId)
    return adoptPreviousUser(lc, user, roleId, workspaceId);
  // A hand-made user is taken over only when it is still the one the starter saw (a plan names its id).
  if (takeable && user.id === adopt?.marketoUserId) return adoptHandMadeUser(lc, user, roleId, workspaceId);
  if (invited === 'already-exists' && !ours) {
    throw stepFailed(
      'UserAlreadyExists',
      'A Marketo user with this email already exists and was not created by this lifecycle; ' +
        'choose another email, or delete or rename that user in Marketo first.',
    );
  }
  if (!user) {
    throw stepFailed(
      'UserMissingAfterInvite',
      'Marketo accepted the invite but does not show the user; retry the onboarding later.',
    );
  }
  lc.pushUndo(`user ${user.userid}`, async () => {
    const outcome = await marketoMustFinish.deleteUser(user.userid);
    if (outcome !== 'in-use-by-service') return outcome;
    // Marketo refuses to delete a user that owns a service someone else made: lock it instead.
    await marketoMustFinish.expireUserNow(user.userid);
    return 'locked (a custom service still uses it: delete that service in Admin > LaunchPoint, then the user)';
  });
  lc.record(invited === 'invited' ? 'user created' : 'user adopted', `${user.userid} (${user.id})`);
  return user;
}

/**
 * The earlier lifecycle's user, locked by its end, taken over. Undo locks it again; it is never deleted, as it
 * was not this run's to delete.
 */
async function adoptPreviousUser(
  lc: Lifecycle,
  user: MarketoUserView,
  roleId: number,
  workspaceId: number,
): Promise<MarketoUserView> {
  const { marketoMustFinish } = lc.activities;
  lc.adoptedPreviousUser = true;
  lc.pushUndo(`user ${user.userid} (kept from the earlier lifecycle)`, async () =>
    (await marketoMustFinish.expireUserNow(user.userid)) ? 'locked again' : 'gone',
  );
  const adopted = await takeOverUser(lc, user, roleId, workspaceId);
  lc.record('user adopted', `${adopted.userid} (${adopted.id}), kept locked by the earlier lifecycle`);
  return adopted;
}

/**
 * A hand-made user some integration may still use: undo puts back its names, roles and expiry as found (one
 * that never expired keeps the new expiry: Marketo cannot clear an expiry). Its own custom services are kept.
 */
async function adoptHandMadeUser(
  lc: Lifecycle,
  user: MarketoUserView,
  roleId: number,
  workspaceId: number,
): Promise<MarketoUserView> {
  const m = lc.activities.marketoMustFinish;
  lc.pushUndo(`user ${user.userid} (hand-made, restored as found)`, async () => {
    const names = { firstName: user.firstName, lastName: user.lastName };
    if (!(await m.setUserNames(user.userid, names))) return 'gone';
    if (user.roles.length) await m.addUserRoles(user.userid, user.roles);
    const ours = { accessRoleId: roleId, workspaceId };
    if (!user.roles.some((r) => r.accessRoleId === roleId && r.workspaceId === workspaceId)) {
      await m.removeUserRoles(user.userid, [ours]);
    }
    if (user.expiresAt === null) return 'names and roles restored; the expiry stays, Marketo cannot clear it';
    await m.setUserExpiry(user.userid, user.expiresAt);
    return 'restored as found';
  });
  const adopted = await takeOverUser(lc, user, roleId, workspaceId);
  lc.record('user adopted', `${adopted.userid} (${adopted.id}), made by hand before this lifecycle`);
  return adopted;
}

/**
 * Names and role set to this request's, then the new expiry, last, because in Marketo a future expiry is what
 * lifts an expiry lock.
 */
async function takeOverUser(
  lc: Lifecycle,
  user: MarketoUserView,
  roleId: number,
  workspaceId: number,
): Promise<MarketoUserView> {
  const { request } = lc;
  const { marketo } = lc.activities;
  const gone = () =>
    stepFailed(
      'UserMissingAfterInvite',
      'The user to take over disappeared from Marketo while it was taken over; retry the onboarding.',
    );
  if (user.firstName !== request.firstName || user.lastName !== request.lastName) {
    const names = { firstName: request.firstName, lastName: request.lastName };
    if (!(await marketo.setUserNames(user.userid, names))) throw gone();
  }
  const isWanted = (r: RolePairView) => r.accessRoleId === roleId && r.workspaceId === workspaceId;
  // Added before the others are removed: Marketo may refuse to leave a user without any role.
  if (!user.roles.some(isWanted)) {
    if (!(await marketo.addUserRoles(user.userid, [{ accessRoleId: roleId, workspaceId }]))) throw gone();
  }
  const unwanted = user.roles.filter((r) => !isWanted(r));
  if (unwanted.length && !(await marketo.removeUserRoles(user.userid, unwanted))) throw gone();
  const adopted = await marketo.setUserExpiry(user.userid, lc.status.expiresAt);
  if (!adopted) throw gone();
  return adopted;
}

/** The custom service, made by software; its credentials must verify before the lifecycle is active. */
async function createService(lc: Lifecycle): Promise<void> {
  const { request, secretRef } = lc;
  const { support, supportMustFinish } = lc.activities;
  if (lc.adoptedPreviousUser) {
    // The earlier lifecycle's service would still answer for this user; its stored secret (same ref, as the
    // workflow id is the same) must not be mistaken for this run's.
    await support.deleteSecret(secretRef);
    const removed = await support.deleteCustomServicesOf(request.email);
    if (removed.length) lc.record('earlier custom service deleted', removed.join(', '));
  }
  // A repeated key gets the first service back, secret included: the key must be this run's and unknowable.
  // Not uuid4(): it is seeded from the run id, which anyone who can list workflows sees.
  const idempotencyKey = `${lc.runId}/${await support.newIdempotencyKey()}`;
  const { clientId } = await support.createCustomService({
    displayName: serviceDisplayName(request),
    description: serviceDescription(request),
    ownerEmail: request.email,
    secretRef,
    idempotencyKey,
  });
  lc.pushUndo(`custom service ${clientId}`, async () => {
    const outcome = await supportMustFinish.deleteCustomService(clientId);
    await supportMustFinish.deleteSecret(secretRef);
    return outcome;
  });
  lc.record('custom service created', clientId);
  const verification = await support.verifyServiceCredentials({
    secretRef,
    clientId,
    expectedScope: request.email,
  });
  if (!verification.ok) {
    // A user whose expiry passed meanwhile is locked, and its service is refused: that is not a fault.
    lc.checkStillWanted();
    const problem = verification.problem ?? 'unknown reason';
    throw stepFailed(
      'ServiceVerificationFailed',
      `The new custom service's credentials did not verify: ${problem}`,
    );
  }
  lc.status.clientId = clientId;
  lc.status.secretRef = secretRef;
}
