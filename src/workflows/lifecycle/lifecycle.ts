/**
 * One lifecycle's state: its status (what queries show), the timeline, the undo stack, the notifications in
 * flight and the message handlers. Steps (provisioning, operator steps, active, deactivation, compensation) are
 * functions of it; the workflow function only wires them.
 */
import { ApplicationFailure, condition, uuid4, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import {
  completeOperatorStepInputSchema,
  extendInputSchema,
  revokeInputSchema,
  type CompleteOperatorStepInput,
  type ExtendInput,
  type RevokeInput,
} from '../../domain/lifecycle-messages';
import {
  expiryProblems,
  formatIssues,
  toWholeSecond,
  type LifecycleRequest,
} from '../../domain/lifecycle-request';
import type { LifecycleStatus } from '../../domain/lifecycle-status';
import { isOwnSecretRef, lifecycleSecretRef, ownSecretRefPrefix } from '../../domain/secret-refs';
import type { AdminCapabilities } from '../../activities/types';
import type { LifecycleNotification } from '../../notifications';
import type { AuditEvent, AuditEventKind } from '../../store/types';
import type { CarriedState, ParsedLifecycleWorkflowInput } from '../lifecycle-input';
import type { LifecycleActivities } from './activities';
import { EndedBeforeActive } from './failures';

const TIMELINE_LIMIT = 200;
/** A notification is retried for a day unless its event wants less. */
const NOTIFY_DEADLINE_MS = 24 * 60 * 60 * 1000;

/** Marketo stores seconds; a smaller difference is rounding, not somebody's edit. */
const DRIFT_TOLERANCE_MS = 1000;

export function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return a === b;
  return Math.abs(Date.parse(a) - Date.parse(b)) < DRIFT_TOLERANCE_MS;
}

/** Something this run made, and how to take it back. */
export interface UndoStep {
  what: string;
  undo: () => Promise<string>;
}

export interface OperatorCompletion {
  input: CompleteOperatorStepInput;
  result?: { verified: boolean; problem?: string };
}

export type CompletionAnswer = { verified: boolean; problem?: string; status: LifecycleStatus };

/** A validator's check: the input as parsed, or the reasons it is refused. */
export function checked<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(formatIssues(result.error).join('; '));
  return result.data;
}

/** What an audit event says beyond its kind: who, why, and secret-free details. */
export interface AuditFields {
  /** Default `lifecycle`: the workflow acting on its own (expiry, drift). */
  actor?: string | undefined;
  reason?: string | undefined;
  detail?: AuditEvent['detail'];
}

export class Lifecycle {
  readonly request: LifecycleRequest;
  readonly workflowId: string;
  readonly runId: string;
  /** Derived from this lifecycle's own identity: a ref from a starter could be another lifecycle's. */
  readonly secretRef: string;
  readonly state: CarriedState;
  readonly status: LifecycleStatus;
  /** Newest last; compensation pops it. */
  readonly undoStack: UndoStep[] = [];
  revokeRequest: RevokeInput | undefined;
  deactivating = false;
  expiryChangeInFlight = false;
  driftCheckRequested = false;
  pendingCompletion: OperatorCompletion | undefined;
  /** What the admin console can do, asked once per run when a rotation needs it. */
  capabilities: AdminCapabilities | undefined;
  /** This run took over the user an earlier lifecycle of the same email left locked. */
  adoptedPreviousUser = false;
  // A broken webhook or audit store must never hold up provisioning or deactivation: callers go on while a
  // notification or audit event is retried, and the run waits for what is still in flight only before it ends
  // or continues as new.
  private readonly pendingNotifications = new Set<Promise<boolean>>();

  constructor(
    readonly input: ParsedLifecycleWorkflowInput,
    readonly activities: LifecycleActivities,
  ) {
    const info = workflowInfo();
    this.request = input.request;
    this.workflowId = info.workflowId;
    this.runId = info.runId;
    this.secretRef = lifecycleSecretRef(info.workflowId);
    this.state = input.carried ?? {
      status: {
        workflowId: info.workflowId,
        phase: 'provisioning',
        email: input.request.email,
        roleName: input.request.role.name,
        expiresAt: toWholeSecond(input.request.expiresAt),
        createdAt: info.startTime.toISOString(),
        extensions: 0,
        drift: [],
        timeline: [],
        ...(input.request.owner ? { owner: input.request.owner } : {}),
        ...(input.request.ticket ? { ticket: input.request.ticket } : {}),
      },
    };
    this.status = this.state.status;
  }

  get policy(): LifecycleRequest['policy'] {
    return this.request.policy;
  }

  get ended(): boolean {
    return this.status.phase === 'deactivated' || this.status.phase === 'failed';
  }

  record(event: string, detail?: string): void {
    const at = new Date().toISOString();
    const timeline = this.status.timeline;
    timeline.push(detail === undefined ? { at, event } : { at, event, detail });
    // Keep the first event (the request) and the most recent ones: the history has the rest.
    if (timeline.length > TIMELINE_LIMIT) timeline.splice(1, timeline.length - TIMELINE_LIMIT);
  }

  /** Resolves true once delivered, false once given up (noted in the timeline); never rejects. */
  notify(
    kind: LifecycleNotification['kind'],
    message: string,
    details?: Record<string, unknown>,
    deadlineMs = NOTIFY_DEADLINE_MS,
  ): Promise<boolean> {
    const at = new Date().toISOString();
    const event = { kind, workflowId: this.workflowId, eventId: uuid4(), email: this.request.email, at };
    const notifier = this.activities.notifier(deadlineMs);
    const delivered = notifier.notify({ ...event, message, ...(details ? { details } : {}) }).then(
      () => true,
      (error: unknown) => {
        this.record(
          'notification failed',
          `${kind}: ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      },
    );
    this.track(delivered);
    return delivered;
  }

  /**
   * Records `kind` in the audit log, never a secret. The id is the lifecycle's (its workflow id and first run,
   * kept across continue-as-new, so a re-onboarding of the same email has its own) plus `step`, which names the
   * event within the lifecycle: a retried or replayed append stores once.
   */
  audit(kind: AuditEventKind, step: string, fields: AuditFields = {}): Promise<boolean> {
    const event: AuditEvent = {
      id: `${this.workflowId}/${workflowInfo().firstExecutionRunId}/${step}`,
      at: new Date().toISOString(),
      kind,
      email: this.request.email,
      workflowId: this.workflowId,
      actor: fields.actor ?? 'lifecycle',
      reason: fields.reason ?? null,
      detail: fields.detail ?? {},
    };
    const stored = this.activities.auditor.appendAuditEvent(event).then(
      () => true,
      (error: unknown) => {
        this.record(
          'audit event not stored',
          `${kind}: ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      },
    );
    this.track(stored);
    return stored;
  }

  private track(inFlight: Promise<boolean>): void {
    this.pendingNotifications.add(inFlight);
    void inFlight.then(() => this.pendingNotifications.delete(inFlight));
  }

  get notificationsInFlight(): number {
    return this.pendingNotifications.size;
  }

  async settleNotifications(): Promise<void> {
    while (this.pendingNotifications.size > 0) await Promise.all([...this.pendingNotifications]);
  }

  pushUndo(what: string, undo: () => Promise<string>): void {
    this.undoStack.push({ what, undo });
  }

  /** Between provisioning steps: stop early when access already ended, and undo what was made. */
  checkStillWanted(): void {
    if (this.revokeRequest) throw new EndedBeforeActive('revoked');
    if (Date.now() >= Date.parse(this.status.expiresAt)) throw new EndedBeforeActive('expired');
  }

  requestRevoke(request: RevokeInput): void {
    if (this.revokeRequest || this.ended) return;
    this.revokeRequest = request;
    this.record('revoke requested', request.reason);
  }

  // ---- message handlers ------------------------------------------------------------------------------------

  validateExtend(update: ExtendInput): void {
    const { expiresAt } = checked<ExtendInput>(extendInputSchema, update);
    if (this.status.phase !== 'active' || this.deactivating || this.revokeRequest) {
      throw new Error(`Only an active lifecycle can be extended; this one is ${this.status.phase}.`);
    }
    if (this.expiryChangeInFlight)
      throw new Error('Another extension is being applied; try again in a moment.');
    if (!(Date.parse(expiresAt) > Date.parse(this.status.expiresAt))) {
      throw new Error(`expiresAt: must be later than the current expiry ${this.status.expiresAt}`);
    }
    const createdAt = Date.parse(this.status.createdAt);
    const problems = expiryProblems(expiresAt, Date.now(), createdAt, this.policy);
    if (problems.length) throw new Error(problems.join('; '));
  }

  async extend(update: ExtendInput): Promise<LifecycleStatus> {
    const userId = this.status.userId;
    if (!userId) throw ApplicationFailure.nonRetryable('The user is not created yet.', 'NotActive');
    const previous = this.status.expiresAt;
    const next = toWholeSecond(update.expiresAt);
    this.expiryChangeInFlight = true;
    try {
      const user = await this.activities.marketoMustFinish.setUserExpiry(userId, next);
      if (!user) throw ApplicationFailure.nonRetryable('The user no longer exists in Marketo.', 'UserGone');
      this.status.expiresAt = next;
      this.status.extensions += 1;
      this.record('extended', `${previous} → ${next}`);
      void this.audit('extended', `extended/${this.status.extensions}`, {
        actor: update.actor,
        detail: { from: previous, to: next },
      });
    } finally {
      this.expiryChangeInFlight = false;
    }
    return this.status;
  }

  validateRevoke(update: RevokeInput): void {
    checked<RevokeInput>(revokeInputSchema, update);
  }

  async revoke(update: RevokeInput): Promise<LifecycleStatus> {
    this.requestRevoke(update);
    await condition(() => this.ended);
    return this.status;
  }

  /** Fire-and-forget: a malformed reason is dropped, never the revocation. */
  revokeBySignal(signal: RevokeInput | undefined): void {
    const parsed = revokeInputSchema.safeParse(signal ?? {});
    this.requestRevoke(parsed.success ? parsed.data : {});
  }

  checkDriftRequested(): void {
    if (this.status.phase === 'active' && !this.deactivating) this.driftCheckRequested = true;
  }

  validateCompletion(completion: CompleteOperatorStepInput): void {
    const data = checked<CompleteOperatorStepInput>(completeOperatorStepInputSchema, completion);
    const pending = this.status.pendingOperatorAction;
    if (!pending) throw new Error('No operator step is pending for this lifecycle.');
    if (pending.step !== data.step) throw new Error(`The pending step is ${pending.step}, not ${data.step}.`);
    if (data.step === 'create-service' && !isOwnSecretRef(this.workflowId, data.secretRef)) {
      // Anywhere else it may be another lifecycle's secret, which this one would delete when it ends.
      const folder = ownSecretRefPrefix(this.workflowId);
      throw new Error(
        `secretRef: must be one name in this lifecycle's own folder ${folder} (e.g. ${folder}operator-service)`,
      );
    }
    if (this.pendingCompletion && !this.pendingCompletion.result) {
      throw new Error('A completion is being verified already.');
    }
  }

  async completeOperatorStep(completion: CompleteOperatorStepInput): Promise<CompletionAnswer> {
    const mine: OperatorCompletion = { input: completion };
    this.pendingCompletion = mine;
    await condition(() => mine.result !== undefined || this.ended);
    const ended = { verified: false, problem: `the lifecycle is ${this.status.phase}` };
    return { ...(mine.result ?? ended), status: this.status };
  }
}
