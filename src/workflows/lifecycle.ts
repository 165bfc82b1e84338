/**
 * One durable workflow per API-only user: role → user → custom service → active until expiry → deactivated.
 * Decisions live here; every Marketo or secret-store touch is an activity. Deterministic: workflow time only.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { MarketoActivities, MarketoUserView, RoleView, SupportActivities } from '../activities/types';
import {
  completeOperatorStepInputSchema,
  extendInputSchema,
  revokeInputSchema,
} from '../domain/lifecycle-messages';
import type { CompleteOperatorStepInput, RevokeInput } from '../domain/lifecycle-messages';
import {
  expiryProblems,
  formatIssues,
  serviceDescription,
  serviceDisplayName,
  toWholeSecond,
} from '../domain/lifecycle-request';
import type { LifecycleRequest } from '../domain/lifecycle-request';
import type { LifecycleStatus, OperatorStep } from '../domain/lifecycle-status';
import { chooseExistingRole, ROLE_REFUSED } from '../domain/role-choice';
import {
  isOwnSecretRef,
  LIFECYCLE_SECRET_SCHEME,
  lifecycleSecretFolder,
  lifecycleSecretRef,
} from '../domain/secret-refs';
import type { LifecycleNotification } from '../notifications';
import {
  lifecycleWorkflowInputSchema,
  type CarriedState,
  type LifecycleWorkflowInput,
} from './lifecycle-input';
import {
  checkDriftSignal,
  completeOperatorStepUpdate,
  extendUpdate,
  requestQuery,
  revokeSignal,
  revokeUpdate,
  statusQuery,
} from './messages';
import { operatorInstructions } from './operator-instructions';

/** Marketo-calling activities run on `<workflow queue>-marketo`, whose server-side rate limit is the call budget. */
export const MARKETO_QUEUE_SUFFIX = '-marketo';
const TIMELINE_LIMIT = 200;
/** Marketo stores seconds; a smaller difference is rounding, not somebody's edit. */
const DRIFT_TOLERANCE_MS = 1000;

// Provisioning gives up (and compensates) after an hour of retries; deactivation never gives up.
const PROVISIONING_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
// Every activity heartbeats while it runs (the worker wraps them), so an attempt lost with a dead worker, or
// handed to a poller that was already gone, is retried after 20 s instead of its 2-minute startToClose.
const HEARTBEAT_TIMEOUT = '20 seconds';
const provisioningOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '1 hour',
  retry: PROVISIONING_RETRY,
};
// At most a minute between attempts: once Marketo answers again, an expired user is locked within the minute
// (at 5 minutes, a few faults in a row left a deactivation waiting out most of that).
const durableOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

// A notification is retried until delivered, up to a deadline that fits its event (a reminder is worthless
// after the expiry): long enough for an operator to mend a broken webhook, short enough to end.
const NOTIFY_DEADLINE_MS = 24 * 60 * 60 * 1000;
const MIN_NOTIFY_DEADLINE_MS = 60_000;

/** Options for one notify activity: every attempt until `deadlineMs` from now, at most 5 minutes apart. */
export function notificationOptions(deadlineMs: number): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: Math.max(MIN_NOTIFY_DEADLINE_MS, Math.floor(deadlineMs)),
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  };
}

/** Provisioning stopped because access ended first: revoked, or the expiry passed while it was under way. */
class EndedBeforeActive extends Error {
  constructor(readonly endedBy: 'revoked' | 'expired') {
    super(`access ${endedBy} before the lifecycle was active`);
  }
}

/** An activity's failure arrives wrapped in ActivityFailure; the reason worth reporting is its cause. */
function rootCause(error: unknown): { type: string; message: string } {
  const root = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (isCancellation(error)) return { type: 'Cancelled', message: 'The lifecycle was cancelled.' };
  if (root instanceof ApplicationFailure) return { type: root.type ?? 'Error', message: root.message };
  return { type: 'StepFailed', message: root instanceof Error ? root.message : String(root) };
}

function invalidInput(problems: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidInput',
    message: `The request was refused before anything was created: ${problems.join('; ')}`,
    nonRetryable: true,
  });
}

/** An existing role that must not be given: refused before anything is created, so nothing is undone. */
function roleRefused(problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ROLE_REFUSED,
    message: `The request was refused before anything was created: ${problem}`,
    nonRetryable: true,
  });
}

function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return a === b;
  return Math.abs(Date.parse(a) - Date.parse(b)) < DRIFT_TOLERANCE_MS;
}

/** Marketo would not lock this user by itself (again, after an admin's unlock): no expiry, or one still ahead. */
function expiryStillAhead(user: MarketoUserView): boolean {
  return user.expiresAt === null || Date.parse(user.expiresAt) > Date.now();
}

function findRole(roles: RoleView[], name: string): RoleView | undefined {
  const wanted = name.trim().toLowerCase();
  return roles.find((r) => r.name.trim().toLowerCase() === wanted);
}

/**
 * A user this lifecycle created earlier (an invite whose answer was lost, a retried run): API-only, our names,
 * our exact expiry. Marketo keeps no creator field, and an expiry to the second is a fingerprint no hand-made
 * user shares by chance.
 */
function isUserFromThisLifecycle(user: MarketoUserView, request: LifecycleRequest, roleId: number): boolean {
  return (
    user.apiOnly &&
    user.firstName === request.firstName &&
    user.lastName === request.lastName &&
    sameInstant(user.expiresAt, request.expiresAt) &&
    (user.roles.length === 0 || user.roles.some((r) => r.accessRoleId === roleId))
  );
}

export async function lifecycleWorkflow(rawInput: LifecycleWorkflowInput): Promise<LifecycleStatus> {
  const parsed = lifecycleWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) throw invalidInput(formatIssues(parsed.error));
  const input = parsed.data;
  const { request } = input;
  const { policy } = request;
  const info = workflowInfo();
  // Every ref is derived from this lifecycle's own identity: refs and workflow ids are no secret, so a ref taken
  // from a starter could be another lifecycle's, whose secret (and service) this run's undo would delete.
  const secretRef = lifecycleSecretRef(info.workflowId);
  if (input.secretRef !== undefined && input.secretRef !== secretRef) {
    throw invalidInput([
      `secretRef: a lifecycle keeps its secret under ${secretRef}, derived from its own workflow id; start it without one`,
    ]);
  }
  const ownSecretFolder = `${LIFECYCLE_SECRET_SCHEME}:${lifecycleSecretFolder(info.workflowId)}`;
  // Expiries are whole seconds since this patch (Marketo keeps seconds, and locked up to 999 ms early);
  // lifecycles started before it keep their exact instants, so their histories replay unchanged.
  const wholeSecondExpiry = patched('whole-second-expiry');
  const normalizeExpiry = (iso: string): string =>
    wholeSecondExpiry ? toWholeSecond(iso) : new Date(Date.parse(iso)).toISOString();

  const marketoQueue = `${info.taskQueue}${MARKETO_QUEUE_SUFFIX}`;
  const marketo = proxyActivities<MarketoActivities>({ ...provisioningOptions, taskQueue: marketoQueue });
  const marketoDurable = proxyActivities<MarketoActivities>({ ...durableOptions, taskQueue: marketoQueue });
  const support = proxyActivities<SupportActivities>(provisioningOptions);
  const supportDurable = proxyActivities<SupportActivities>(durableOptions);

  const nowIso = (): string => new Date().toISOString();
  const state: CarriedState = input.carried ?? {
    status: {
      workflowId: info.workflowId,
      phase: 'provisioning',
      email: request.email,
      roleName: request.role.name,
      expiresAt: normalizeExpiry(request.expiresAt),
      createdAt: info.startTime.toISOString(),
      extensions: 0,
      drift: [],
      timeline: [],
    },
    roleCreatedByUs: false,
    userCreatedByUs: false,
    serviceCreatedByUs: false,
  };
  const status = state.status;

  const record = (event: string, detail?: string): void => {
    status.timeline.push(detail === undefined ? { at: nowIso(), event } : { at: nowIso(), event, detail });
    // Keep the first event (the request) and the most recent ones: the history has the rest.
    if (status.timeline.length > TIMELINE_LIMIT)
      status.timeline.splice(1, status.timeline.length - TIMELINE_LIMIT);
  };
  // A broken webhook must never hold up provisioning or deactivation: callers go on while a notification is
  // retried, and the run waits for what is still in flight only before it ends or continues as new.
  const pendingNotifications = new Set<Promise<boolean>>();
  /** Resolves true once delivered, false once given up (noted in the timeline); never rejects. */
  const notify = (
    kind: LifecycleNotification['kind'],
    message: string,
    details?: Record<string, unknown>,
    deadlineMs = NOTIFY_DEADLINE_MS,
  ): Promise<boolean> => {
    const notifier = proxyActivities<SupportActivities>(notificationOptions(deadlineMs));
    const event = { kind, workflowId: info.workflowId, eventId: uuid4(), email: request.email, at: nowIso() };
    const delivered = notifier.notify({ ...event, message, ...(details ? { details } : {}) }).then(
      () => true,
      (error: unknown) => {
        record('notification failed', `${kind}: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
    );
    pendingNotifications.add(delivered);
    void delivered.then(() => pendingNotifications.delete(delivered));
    return delivered;
  };
  const settleNotifications = async (): Promise<void> => {
    while (pendingNotifications.size > 0) await Promise.all([...pendingNotifications]);
  };

  // ---- messages -------------------------------------------------------------------------------------------
  let revokeRequest: RevokeInput | undefined;
  let deactivating = false;
  let expiryChangeInFlight = false;
  let pendingCompletion:
    | { input: CompleteOperatorStepInput; result?: { verified: boolean; problem?: string } }
    | undefined;

  const requestRevoke = (request: RevokeInput): void => {
    if (revokeRequest || status.phase === 'deactivated' || status.phase === 'failed') return;
    revokeRequest = request;
    record('revoke requested', request.reason);
  };

  setHandler(statusQuery, () => status);
  setHandler(requestQuery, () => request);

  setHandler(
    extendUpdate,
    async (update) => {
      const userId = status.userId;
      if (!userId) throw ApplicationFailure.nonRetryable('The user is not created yet.', 'NotActive');
      const previous = status.expiresAt;
      const next = normalizeExpiry(update.expiresAt);
      expiryChangeInFlight = true;
      try {
        const user = await marketoDurable.setUserExpiry(userId, next);
        if (!user) throw ApplicationFailure.nonRetryable('The user no longer exists in Marketo.', 'UserGone');
        status.expiresAt = next;
        status.extensions += 1;
        record('extended', `${previous} → ${next}`);
      } finally {
        expiryChangeInFlight = false;
      }
      return status;
    },
    {
      validator: (update) => {
        const checked = extendInputSchema.safeParse(update);
        if (!checked.success) throw new Error(formatIssues(checked.error).join('; '));
        if (status.phase !== 'active' || deactivating || revokeRequest) {
          throw new Error(`Only an active lifecycle can be extended; this one is ${status.phase}.`);
        }
        if (expiryChangeInFlight)
          throw new Error('Another extension is being applied; try again in a moment.');
        const next = Date.parse(checked.data.expiresAt);
        if (!(next > Date.parse(status.expiresAt))) {
          throw new Error(`expiresAt: must be later than the current expiry ${status.expiresAt}`);
        }
        const problems = expiryProblems(
          checked.data.expiresAt,
          Date.now(),
          Date.parse(status.createdAt),
          policy,
        );
        if (problems.length) throw new Error(problems.join('; '));
      },
    },
  );

  setHandler(
    revokeUpdate,
    async (update) => {
      requestRevoke(update);
      await condition(() => status.phase === 'deactivated' || status.phase === 'failed');
      return status;
    },
    {
      validator: (update) => {
        const checked = revokeInputSchema.safeParse(update);
        if (!checked.success) throw new Error(formatIssues(checked.error).join('; '));
      },
    },
  );

  let driftCheckRequested = false;
  /** The expiry whose reminder is being delivered. */
  let reminderInFlight: string | undefined;
  setHandler(checkDriftSignal, () => {
    if (status.phase === 'active' && !deactivating) driftCheckRequested = true;
  });

  setHandler(revokeSignal, (signal) => {
    const checked = revokeInputSchema.safeParse(signal ?? {});
    requestRevoke(checked.success ? checked.data : {});
  });

  setHandler(
    completeOperatorStepUpdate,
    async (completion) => {
      const mine: NonNullable<typeof pendingCompletion> = { input: completion };
      pendingCompletion = mine;
      await condition(() => mine.result !== undefined || status.phase === 'failed');
      return { ...(mine.result ?? { verified: false, problem: 'the lifecycle failed' }), status };
    },
    {
      validator: (completion) => {
        const checked = completeOperatorStepInputSchema.safeParse(completion);
        if (!checked.success) throw new Error(formatIssues(checked.error).join('; '));
        const pending = status.pendingOperatorAction;
        if (!pending) throw new Error('No operator step is pending for this lifecycle.');
        if (pending.step !== checked.data.step) {
          throw new Error(`The pending step is ${pending.step}, not ${checked.data.step}.`);
        }
        if (
          checked.data.step === 'create-service' &&
          !isOwnSecretRef(info.workflowId, checked.data.secretRef)
        ) {
          // Anywhere else it may be another lifecycle's secret, which this one would delete when it ends.
          throw new Error(
            `secretRef: must be one name in this lifecycle's own folder ${ownSecretFolder} (e.g. ${ownSecretFolder}operator-service)`,
          );
        }
        if (pendingCompletion && !pendingCompletion.result)
          throw new Error('A completion is being verified already.');
      },
    },
  );

  /** This run took over the user an earlier lifecycle of the same email left locked. */
  let adoptedPreviousUser = false;

  // ---- compensation ---------------------------------------------------------------------------------------
  const undoStack: { what: string; undo: () => Promise<string> }[] = [];

  async function compensate(): Promise<string[]> {
    const notes: string[] = [];
    // Newest first: a service must go before its user, a user before its role.
    while (undoStack.length) {
      const step = undoStack.pop()!;
      try {
        const outcome = await step.undo();
        record('undone', `${step.what}: ${outcome}`);
        notes.push(`${step.what}: ${outcome}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        record('undo failed', `${step.what}: ${message}`);
        notes.push(`${step.what}: NOT undone (${message}); remove it by hand`);
      }
    }
    return notes;
  }

  /** Between provisioning steps: stop early when access already ended, and undo what was made. */
  const checkStillWanted = (): void => {
    if (revokeRequest) throw new EndedBeforeActive('revoked');
    if (Date.now() >= Date.parse(status.expiresAt)) throw new EndedBeforeActive('expired');
  };

  // ---- operator steps -------------------------------------------------------------------------------------
  async function awaitOperatorStep(
    step: OperatorStep,
    verify: (completion: CompleteOperatorStepInput) => Promise<string | undefined>,
    firstInstructions: string[] = [],
    existingRoleId?: number,
  ): Promise<void> {
    const since = Date.now();
    const deadline = since + policy.operatorStepDeadlineMs;
    status.phase = 'awaiting-operator';
    status.pendingOperatorAction = {
      step,
      instructions: [
        ...firstInstructions,
        ...operatorInstructions(step, request, info.workflowId, existingRoleId),
      ],
      since: new Date(since).toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    record('operator action needed', step);
    void notify(
      'operator-action-needed',
      `Operator action needed for ${request.email}: ${step}`,
      {
        step,
        instructions: status.pendingOperatorAction.instructions,
        deadline: status.pendingOperatorAction.deadline,
      },
      deadline - since,
    );
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw ApplicationFailure.create({
          type: 'OperatorStepTimedOut',
          message: `The operator step ${step} was not completed by ${new Date(deadline).toISOString()}; what this run created is undone.`,
          nonRetryable: true,
        });
      }
      const woken = await condition(
        () =>
          (pendingCompletion !== undefined && pendingCompletion.result === undefined) ||
          revokeRequest !== undefined,
        Math.min(remaining, policy.operatorReminderEveryMs),
      );
      checkStillWanted();
      if (!woken) {
        if (Date.now() < deadline) {
          record('operator reminder', step);
          void notify(
            'operator-action-needed',
            `Still waiting for the operator: ${step} for ${request.email}`,
            {
              step,
              deadline: new Date(deadline).toISOString(),
            },
            deadline - Date.now(),
          );
        }
        continue;
      }
      const completion = pendingCompletion!;
      const problem = await verify(completion.input);
      completion.result = problem === undefined ? { verified: true } : { verified: false, problem };
      pendingCompletion = undefined;
      if (problem === undefined) break;
      status.pendingOperatorAction.lastVerificationError = problem;
      record('operator step not verified', problem);
    }
    status.pendingOperatorAction = undefined;
    status.phase = 'provisioning';
    record('operator step verified', step);
  }

  // ---- provisioning ---------------------------------------------------------------------------------------
  async function resolveWorkspaceId(): Promise<number> {
    const { workspace } = request.role;
    if (typeof workspace === 'number') {
      // Since this patch a numeric workspace other than AllZones is checked before the role is made:
      // an unknown one used to surface only at the invite, after the role existed.
      if (workspace === 0 || !patched('validate-workspace-id')) return workspace;
      if (!(await marketo.listWorkspaces()).some((w) => w.id === workspace)) {
        throw invalidInput([`role.workspace: no workspace with id ${workspace} in this Marketo instance`]);
      }
      return workspace;
    }
    const found = (await marketo.listWorkspaces()).find(
      (w) => w.name.toLowerCase() === workspace.toLowerCase(),
    );
    if (!found)
      throw invalidInput([`role.workspace: no workspace named "${workspace}" in this Marketo instance`]);
    return found.id;
  }

  /**
   * A role of the requested name exists: the user would get all of its rights, so it is used only as
   * chooseExistingRole allows (never a system role; a custom one with exactly the requested permissions, checked
   * here where the instance tells them, else confirmed by the operator).
   */
  async function useExistingRole(role: RoleView): Promise<number> {
    const permissions =
      role.type?.toLowerCase() === 'custom' ? await support.getRolePermissions(role.id) : null;
    const choice = chooseExistingRole(request.role, { ...role, permissions });
    if (choice.kind === 'refuse') throw roleRefused(choice.problem);
    if (choice.kind === 'reuse') {
      record('role found', `${role.name} (${role.id}), with exactly the requested permissions`);
      return role.id;
    }
    await awaitOperatorStep(
      'confirm-role',
      async (completion) => {
        if (completion.step !== 'confirm-role') return 'expected the role confirmation';
        if (completion.roleId !== role.id) {
          return `role id ${completion.roleId} was confirmed, but the role named "${role.name}" is role id ${role.id}: check that role, then confirm --role-id ${role.id}`;
        }
        const now = findRole(await marketo.listRoles(), request.role.name);
        if (now?.id !== role.id) {
          return `the role named "${request.role.name}" is no longer role id ${role.id}: revoke this onboarding and start it again`;
        }
        return undefined;
      },
      [],
      role.id,
    );
    record('role confirmed', `${role.name} (${role.id}): the operator confirmed its permissions`);
    return role.id;
  }

  async function ensureRole(canCreate: boolean): Promise<number> {
    const existing = findRole(await marketo.listRoles(), request.role.name);
    if (existing) return useExistingRole(existing);
    if (canCreate) {
      if (request.role.permissions.length === 0) {
        throw invalidInput([
          `role.permissions: the role "${request.role.name}" does not exist; give its permissions to create it`,
        ]);
      }
      const created = await support.createRole({
        name: request.role.name,
        description: `API role managed by marketo-api-users`,
        permissions: request.role.permissions,
      });
      if (created === 'already-exists') {
        // Concurrent onboardings that need the same new role: one makes it, the others use it.
        const appeared = findRole(await marketo.listRoles(), request.role.name);
        if (!appeared) {
          throw ApplicationFailure.create({
            type: 'RoleConflict',
            message: `Marketo says the role "${request.role.name}" exists but does not list it; retry the onboarding.`,
            nonRetryable: true,
          });
        }
        // Made meanwhile by another onboarding, perhaps with other permissions: the same rules apply.
        return useExistingRole(appeared);
      }
      state.roleCreatedByUs = true;
      undoStack.push({ what: `role ${created.id}`, undo: async () => supportDurable.deleteRole(created.id) });
      record('role created', `${created.name} (${created.id})`);
      return created.id;
    }
    let roleId = 0;
    await awaitOperatorStep('create-role', async () => {
      const role = findRole(await marketo.listRoles(), request.role.name);
      if (!role) return `no role named "${request.role.name}" in roles.json yet`;
      roleId = role.id;
      return undefined;
    });
    return roleId;
  }

  async function ensureUser(roleId: number, workspaceId: number): Promise<MarketoUserView> {
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
    // Ending a lifecycle locks its user and keeps it: a new lifecycle for the same email takes that user back.
    // Short-circuit order matters: the patch marker is written only where adoption happens.
    if (
      invited === 'already-exists' &&
      user &&
      input.previous !== undefined &&
      user.apiOnly &&
      user.id === input.previous.marketoUserId &&
      !isUserFromThisLifecycle(user, request, roleId) &&
      patched('adopt-previous-lifecycle-user')
    ) {
      return adoptPreviousUser(user, roleId, workspaceId);
    }
    if (invited === 'already-exists' && (!user || !isUserFromThisLifecycle(user, request, roleId))) {
      throw ApplicationFailure.create({
        type: 'UserAlreadyExists',
        message:
          'A Marketo user with this email already exists and was not created by this lifecycle; ' +
          'choose another email, or delete or rename that user in Marketo first.',
        nonRetryable: true,
      });
    }
    if (!user) {
      throw ApplicationFailure.create({
        type: 'UserMissingAfterInvite',
        message: 'Marketo accepted the invite but does not show the user; retry the onboarding later.',
        nonRetryable: true,
      });
    }
    state.userCreatedByUs = true;
    undoStack.push({
      what: `user ${user.userid}`,
      undo: async () => {
        const outcome = await marketoDurable.deleteUser(user.userid);
        if (outcome !== 'in-use-by-service') return outcome;
        // Marketo refuses to delete a user that owns a service someone else made: lock it instead.
        await marketoDurable.expireUserNow(user.userid);
        return 'locked (a custom service still uses it: delete that service in Admin > LaunchPoint, then the user)';
      },
    });
    record(invited === 'invited' ? 'user created' : 'user adopted', `${user.userid} (${user.id})`);
    return user;
  }

  /**
   * The earlier lifecycle's user, locked by its end: names and role set to this request's, then the new expiry,
   * last, because in Marketo a future expiry is what lifts the lock. Undo locks it again; it is never deleted,
   * as it was not this run's to delete.
   */
  async function adoptPreviousUser(
    user: MarketoUserView,
    roleId: number,
    workspaceId: number,
  ): Promise<MarketoUserView> {
    adoptedPreviousUser = true;
    const gone = () =>
      ApplicationFailure.create({
        type: 'UserMissingAfterInvite',
        message:
          "The earlier lifecycle's user disappeared from Marketo while it was taken over; retry the onboarding.",
        nonRetryable: true,
      });
    undoStack.push({
      what: `user ${user.userid} (kept from the earlier lifecycle)`,
      undo: async () => ((await marketoDurable.expireUserNow(user.userid)) ? 'locked again' : 'gone'),
    });
    if (user.firstName !== request.firstName || user.lastName !== request.lastName) {
      const renamed = await marketo.setUserNames(user.userid, {
        firstName: request.firstName,
        lastName: request.lastName,
      });
      if (!renamed) throw gone();
    }
    const isWanted = (r: { accessRoleId: number; workspaceId: number }) =>
      r.accessRoleId === roleId && r.workspaceId === workspaceId;
    // Added before the others are removed: Marketo may refuse to leave a user without any role.
    if (!user.roles.some(isWanted)) {
      if (!(await marketo.addUserRoles(user.userid, [{ accessRoleId: roleId, workspaceId }]))) throw gone();
    }
    const unwanted = user.roles.filter((r) => !isWanted(r));
    if (unwanted.length && !(await marketo.removeUserRoles(user.userid, unwanted))) throw gone();
    const adopted = await marketo.setUserExpiry(user.userid, status.expiresAt);
    if (!adopted) throw gone();
    record('user adopted', `${adopted.userid} (${adopted.id}), kept locked by the earlier lifecycle`);
    return adopted;
  }

  async function ensureService(canCreate: boolean): Promise<void> {
    if (canCreate) {
      if (adoptedPreviousUser) {
        // The earlier lifecycle's service would still answer for this user; its stored secret (same ref, as the
        // workflow id is the same) must not be mistaken for this run's.
        await support.deleteSecret(secretRef);
        const removed = await support.deleteCustomServicesOf(request.email);
        if (removed.length) record('earlier custom service deleted', removed.join(', '));
      }
      // A repeated key gets the first service back, secret included: the key must be this run's and unknowable.
      // Not uuid4(): it is seeded from the run id, which anyone who can list workflows sees.
      const idempotencyKey = `${info.runId}/${await support.newIdempotencyKey()}`;
      const { clientId } = await support.createCustomService({
        displayName: serviceDisplayName(request),
        description: serviceDescription(request),
        ownerEmail: request.email,
        secretRef,
        idempotencyKey,
      });
      state.serviceCreatedByUs = true;
      undoStack.push({
        what: `custom service ${clientId}`,
        undo: async () => {
          const outcome = await supportDurable.deleteCustomService(clientId);
          await supportDurable.deleteSecret(secretRef);
          return outcome;
        },
      });
      record('custom service created', clientId);
      const verification = await support.verifyServiceCredentials({
        secretRef,
        clientId,
        expectedScope: request.email,
      });
      if (!verification.ok) {
        // A user whose expiry passed meanwhile is locked, and its service is refused: that is not a fault.
        checkStillWanted();
        throw ApplicationFailure.create({
          type: 'ServiceVerificationFailed',
          message: `The new custom service's credentials did not verify: ${verification.problem ?? 'unknown reason'}`,
          nonRetryable: true,
        });
      }
      status.clientId = clientId;
      status.secretRef = secretRef;
      return;
    }
    const previousClientId = adoptedPreviousUser ? input.previous?.clientId : undefined;
    const replaceEarlier = adoptedPreviousUser
      ? [
          `First delete the earlier lifecycle's custom service of ${request.email} in Admin > LaunchPoint` +
            (previousClientId ? ` (Client Id ${previousClientId})` : '') +
            ', then create a new one as below: the earlier one must not serve this lifecycle.',
        ]
      : [];
    await awaitOperatorStep(
      'create-service',
      async (completion) => {
        if (completion.step !== 'create-service') return 'expected the custom service step';
        if (previousClientId !== undefined && completion.clientId === previousClientId) {
          return `client id ${previousClientId} is the earlier lifecycle's service: delete it in LaunchPoint and create a new one`;
        }
        const verification = await support.verifyServiceCredentials({
          secretRef: completion.secretRef,
          clientId: completion.clientId,
          expectedScope: request.email,
        });
        if (!verification.ok) return verification.problem ?? 'the credentials did not verify';
        status.clientId = completion.clientId;
        status.secretRef = completion.secretRef;
        // From here the secret is this run's: access ending before activation must not leave it on disk.
        if (patched('undo-operator-secret')) {
          const { secretRef, clientId } = completion;
          undoStack.push({
            what: `stored secret of custom service ${clientId}`,
            undo: async () => {
              await supportDurable.deleteSecret(secretRef);
              return 'deleted (the service itself was made by the operator: delete it in Admin > LaunchPoint)';
            },
          });
        }
        return undefined;
      },
      replaceEarlier,
    );
  }

  async function provision(): Promise<void> {
    record('requested', `expires ${status.expiresAt}`);
    if (judgedAtStart) checkStillWanted();
    // Before anything in Marketo: a starter with another workflow-id key would make this a second lifecycle.
    await support.checkWorkflowIdKey(input.workflowIdKeyFingerprint);
    const capabilities = await support.getAdminCapabilities();
    const workspaceId = await resolveWorkspaceId();
    const roleId = await ensureRole(capabilities.canCreateRoles);
    status.roleId = roleId;
    checkStillWanted();
    const user = await ensureUser(roleId, workspaceId);
    status.userId = user.userid;
    status.marketoUserId = user.id;
    checkStillWanted();
    await ensureService(capabilities.canCreateServices);
    checkStillWanted();
    status.phase = 'active';
    record('active', `until ${status.expiresAt}`);
  }

  // ---- active ---------------------------------------------------------------------------------------------
  /** Compares Marketo's expiry with ours; the workflow's date wins. */
  async function checkDrift(correct: boolean): Promise<MarketoUserView | null> {
    const user = await marketoDurable.getUser(status.userId!);
    if (!user || sameInstant(user.expiresAt, status.expiresAt)) return user;
    const drift = {
      detectedAt: nowIso(),
      workflowExpiresAt: status.expiresAt,
      marketoExpiresAt: user.expiresAt,
      corrected: correct,
    };
    status.drift.push(drift);
    record('drift', `Marketo had ${user.expiresAt ?? 'no expiry'}, the workflow has ${status.expiresAt}`);
    if (correct) await marketoDurable.setUserExpiry(user.userid, status.expiresAt);
    void notify(
      'drift',
      `Someone moved the expiry of ${request.email} in Marketo; the workflow's date wins`,
      drift,
    );
    return user;
  }

  /** The reminder for the current expiry; it counts as sent once delivered, not before. */
  async function sendReminder(): Promise<void> {
    const forExpiry = status.expiresAt;
    reminderInFlight = forExpiry;
    const delivered = await notify(
      'reminder',
      `Access of ${request.email} expires at ${forExpiry}`,
      { expiresAt: forExpiry, clientId: status.clientId },
      Date.parse(forExpiry) - Date.now(),
    );
    if (reminderInFlight === forExpiry) reminderInFlight = undefined;
    // Undelivered by the expiry is given up too (the failure is in the timeline); an extension meanwhile
    // wants its own reminder for its own date.
    if (status.expiresAt === forExpiry) state.remindedForExpiry = forExpiry;
    if (delivered) record('reminder sent', `expires ${forExpiry}`);
  }

  async function holdWhileActive(): Promise<'expired' | 'revoked' | 'continue-as-new'> {
    for (;;) {
      if (revokeRequest) return 'revoked';
      const now = Date.now();
      const expiry = Date.parse(status.expiresAt);
      if (now >= expiry && !expiryChangeInFlight) return 'expired';
      if (driftCheckRequested && !expiryChangeInFlight) {
        driftCheckRequested = false;
        await checkDrift(true);
        continue;
      }
      const reminderAt = expiry - policy.reminderLeadMs;
      const reminderDue =
        state.remindedForExpiry !== status.expiresAt && reminderInFlight !== status.expiresAt;
      if (reminderDue && now >= reminderAt && !expiryChangeInFlight) {
        await checkDrift(true);
        // Not awaited: a webhook being retried must not keep revocations and extensions waiting.
        void sendReminder();
        continue;
      }
      const wakeAt = reminderDue ? Math.min(reminderAt, expiry) : expiry;
      const expiryWhenWaiting = status.expiresAt;
      const inFlightWhenWaiting = pendingNotifications.size;
      await condition(
        () =>
          revokeRequest !== undefined ||
          status.expiresAt !== expiryWhenWaiting ||
          expiryChangeInFlight ||
          driftCheckRequested ||
          pendingNotifications.size !== inFlightWhenWaiting,
        Math.max(1, wakeAt - now),
      );
      // An extension being applied must finish before the timer decides anything.
      await condition(() => !expiryChangeInFlight);
      // Not while a notification is in flight: the next run would not know it, and send it again.
      if (
        pendingNotifications.size === 0 &&
        (workflowInfo().historyLength > input.continueAsNewAfterEvents ||
          workflowInfo().continueAsNewSuggested)
      ) {
        return 'continue-as-new';
      }
    }
  }

  // ---- deactivation ---------------------------------------------------------------------------------------
  async function deactivate(cause: 'expired' | 'revoked'): Promise<void> {
    deactivating = true;
    record('deactivating', cause);
    let outcome = 'no user to lock';
    const userId = status.userId;
    if (userId) {
      const before = cause === 'expired' ? await checkDrift(false) : await marketoDurable.getUser(userId);
      if (!before) outcome = 'gone';
      else if (before.isLocked && !(expiryStillAhead(before) && patched('expire-already-locked-user'))) {
        outcome = 'already locked';
      } else if (before.isLocked) {
        // Locked for another reason, or by hand, with an expiry still ahead: an admin's unlock would give access
        // back. The expiry is what keeps it ended.
        const after = await marketoDurable.expireUserNow(userId);
        outcome = after ? 'already locked; its expiry set to now' : 'gone';
      } else {
        const after = await marketoDurable.expireUserNow(userId);
        if (!after) outcome = 'gone';
        else if (after.isLocked) outcome = 'locked';
        else {
          const evidence = await marketoDurable.confirmUserLocked({
            userid: userId,
            ...(status.secretRef ? { secretRef: status.secretRef } : {}),
            ...(status.clientId ? { clientId: status.clientId } : {}),
          });
          outcome = evidence === 'token-refused' ? 'locked (its service is refused a token)' : evidence;
        }
      }
    }
    if (status.secretRef) await supportDurable.deleteSecret(status.secretRef);
    status.phase = 'deactivated';
    status.deactivation = {
      at: nowIso(),
      cause,
      outcome,
      ...(revokeRequest?.reason ? { reason: revokeRequest.reason } : {}),
    };
    record('deactivated', outcome);
    await notify('deactivated', `Access of ${request.email} ended (${cause}): ${outcome}`, {
      cause,
      outcome,
      drift: status.drift,
    });
  }

  // ---- the chain ------------------------------------------------------------------------------------------
  // Since this patch the request is judged as of its start: a request that was valid when submitted, whose
  // first task ran only after its expiry (workers down), ends as expired before activation instead of failing.
  const judgedAtStart = patched('expiry-judged-at-start');
  if (!input.carried) {
    // Refused before anything exists: nothing to undo, nobody to notify.
    const judgedAt = judgedAtStart ? Date.parse(status.createdAt) : Date.now();
    const problems = expiryProblems(request.expiresAt, judgedAt, Date.parse(status.createdAt), policy);
    if (problems.length) throw invalidInput(problems);
  }
  let next: 'expired' | 'revoked' | 'continue-as-new';
  try {
    if (status.phase !== 'active') await provision();
    next = await holdWhileActive();
    if (next !== 'continue-as-new') await deactivate(next);
  } catch (error) {
    const undone = await CancellationScope.nonCancellable(compensate);
    if (error instanceof EndedBeforeActive) {
      status.phase = 'deactivated';
      status.pendingOperatorAction = undefined;
      status.deactivation = {
        at: nowIso(),
        cause: error.endedBy,
        outcome: `${error.endedBy} before activation; undone: ${undone.join(', ') || 'nothing'}`,
        ...(revokeRequest?.reason ? { reason: revokeRequest.reason } : {}),
      };
      record('deactivated', status.deactivation.outcome);
      if (patched('notify-ended-before-active')) {
        const { cause, outcome } = status.deactivation;
        await CancellationScope.nonCancellable(() =>
          notify(
            'deactivated',
            `Access of ${request.email} ended (${cause}) before it became active: ${outcome}`,
            {
              cause,
              outcome,
            },
          ),
        );
      }
      await settleNotifications();
      await condition(allHandlersFinished);
      return status;
    }
    const { type, message } = rootCause(error);
    status.phase = 'failed';
    status.pendingOperatorAction = undefined;
    status.failure = { type, message };
    record('failed', `${type}: ${message}`);
    await CancellationScope.nonCancellable(async () => {
      void notify('failed', `The lifecycle of ${request.email} failed: ${message}`, { type, undone });
      await settleNotifications();
    });
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({
      type: 'LifecycleFailed',
      message: `${message}${undone.length ? ` Undone: ${undone.join('; ')}.` : ''}`,
      nonRetryable: true,
      cause: error instanceof Error ? error : undefined,
    });
  }

  await settleNotifications();
  await condition(allHandlersFinished);
  if (next === 'continue-as-new') {
    record('continued as new', `history reached ${workflowInfo().historyLength} events`);
    return continueAsNew<typeof lifecycleWorkflow>({ ...rawInput, carried: state });
  }
  return status;
}
