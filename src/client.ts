/**
 * The client API for pipelines: `import { onboard, status, extend, revoke, list } from 'marketo-api-users'`.
 * Every input is validated with zod before anything is started; the CLI is a thin layer over this file.
 */
import {
  Client,
  Connection,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowClient,
} from '@temporalio/client';
import { z } from 'zod';
import {
  ContextError,
  loadContext,
  loadStoreContext,
  type ContextOptions,
  type ProductContext,
} from './context';
import {
  auditFilterFrom,
  auditQueryInputSchema,
  credentialsInputSchema,
  handOverCredentials,
  type AuditQueryInput,
  type CredentialsInput,
  type ServiceCredentials,
} from './credentials-handover';
import { durationAtLeast, durationMsSchema, MIN_OVERLAP_MS, MS_PER_DAY } from './domain/durations';
import {
  actorSchema,
  attestationProblems,
  emailSchema,
  expiryProblems,
  formatIssues,
  isoDateTimeSchema,
  labelSchemaForReason,
  lifecycleRequestSchema,
  lifetimeFloorProblems,
  requestedLifetimeSchema,
  requestedPolicySchema,
  toWholeSecond,
  type LifecycleRequest,
} from './domain/lifecycle-request';
import type { LifecycleStatus, LifecyclePhase } from './domain/lifecycle-status';
import {
  listFilterSchema,
  listByStatusQueries,
  listFromVisibility,
  type LifecycleSummary,
  type ListFilterInput,
} from './lifecycle-list';
import { startLifecycle } from './lifecycle-start';
import {
  AttestationRefusedError,
  ReassignRefusedError,
  CredentialsUnavailableError,
  InputError,
  LifecycleConflictError,
  LifecycleNotFoundError,
  LifecycleRefusedError,
  RotationRefusedError,
  SweepScheduleNotFoundError,
  TemporalUnavailableError,
} from './errors';
import { setupNamespace, type NamespaceSetupReport } from './namespace-setup';
import { onboardDifferences } from './onboard-conflict';
import {
  buildComplianceReport,
  reportInputSchema,
  type ComplianceReport,
  type ReportInput,
} from './report/build';
import { createDataConverter } from './security/data-converter';
import { secretRefFor } from './security/secret-store';
import {
  attestInputSchema,
  reassignInputSchema,
  confirmSwitchInputSchema,
  marketoClientIdSchema,
  revokeInputSchema,
} from './domain/lifecycle-messages';
import { sweepPolicySchema, type SweepReport } from './domain/sweep-policy';
import { openStore } from './store/open';
import type { ReencryptReport } from './store/postgres/secrets';
import type { AuditEvent, Store, UsageLedger } from './store/types';
import type { LastUsed } from './domain/usage';
import { lastUsedOfUsers, USAGE_UNKNOWN } from './lifecycle-usage';
import type { UsageCollectionReport } from './activities/types';
import {
  collectUsageNow,
  deleteUsageSchedule,
  upsertUsageSchedule,
  usageScheduleInputSchema,
  type ScheduledUsage,
  type UsageScheduleInput,
} from './usage-schedule';
import {
  describeSweepSchedule as describeSchedule,
  scheduleNoteInputSchema,
  setSweepSchedulePaused,
  SWEEP_SCHEDULE_ID,
  sweepScheduleInputSchema,
  triggerSweepSchedule as triggerSchedule,
  upsertSweepSchedule,
  type ScheduledSweep,
  type ScheduleNoteInput,
  type SweepScheduleDescription,
  type SweepScheduleInput,
  type SweepSchedulePauseResult,
  type SweepScheduleTriggerResult,
} from './sweep-schedule';
import { sweepWorkflow, type lifecycleWorkflow } from './workflows';
import { sweepProgressQuery, type SweepProgress } from './workflows/messages';
import {
  attestUpdate,
  reassignUpdate,
  completeOperatorStepUpdate,
  confirmSwitchUpdate,
  extendUpdate,
  rotateUpdate,
  requestQuery,
  revokeUpdate,
  statusQuery,
} from './workflows/messages';

export type { LifecycleStatus, LifecyclePhase } from './domain/lifecycle-status';
export type { LifecycleSummary, ListFilterInput } from './lifecycle-list';
export type { NamespaceSetupReport } from './namespace-setup';
export { listFilterSchema };
export type { SweepReport, SweepPolicyInput } from './domain/sweep-policy';
export type { AuditEvent, AuditEventKind } from './store/types';
export type { AuditQueryInput, CredentialsInput, ServiceCredentials } from './credentials-handover';
export { auditQueryInputSchema, credentialsInputSchema };
export { SWEEP_SCHEDULE_ID, scheduleNoteInputSchema, sweepScheduleInputSchema };
export { USAGE_SCHEDULE_ID, usageScheduleInputSchema } from './usage-schedule';
export type { ScheduledUsage, UsageScheduleInput } from './usage-schedule';
export type { UsageCollectionReport } from './activities/types';
export type { LastUsed } from './domain/usage';
export type {
  ScheduledSweep,
  ScheduleNoteInput,
  SweepScheduleDescription,
  SweepScheduleInput,
  SweepSchedulePauseResult,
  SweepScheduleTriggerResult,
} from './sweep-schedule';
export type {
  SweepOutcome,
  SweepPolicySummary,
  SweepRunStatus,
  SweepScheduleRun,
  SweepScheduleTiming,
} from './sweep-schedule';

/** Who a call is recorded as when it does not say: a pipeline using this API. */
export const CLIENT_API_ACTOR = 'client-api';

export {
  AttestationRefusedError,
  ReassignRefusedError,
  ContextError,
  CredentialsUnavailableError,
  InputError,
  LifecycleConflictError,
  LifecycleNotFoundError,
  LifecycleRefusedError,
  SweepScheduleNotFoundError,
  TemporalUnavailableError,
};

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InputError(formatIssues(result.error));
  return result.data;
}

const requestWithoutExpiry = lifecycleRequestSchema.omit({ expiresAt: true });

/**
 * Like a lifecycle request, with the expiry either absolute (`expiresAt`) or relative (`expiresIn`: `30d`),
 * and with the floors a person's request must meet (at least a minute of access, operator steps in minutes).
 */
export const onboardInputSchema = requestWithoutExpiry
  .extend({
    expiresAt: isoDateTimeSchema.optional(),
    expiresIn: requestedLifetimeSchema.optional(),
    policy: requestedPolicySchema.prefault({}),
    /** Who onboards, for the audit log; default `client-api`. */
    actor: actorSchema.optional(),
  })
  .superRefine((input, ctx) => {
    if ((input.expiresAt === undefined) === (input.expiresIn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: 'give exactly one of expiresAt or expiresIn',
      });
    }
  });
export type OnboardInput = z.input<typeof onboardInputSchema>;

export const extendInputSchema = z
  .object({
    expiresAt: isoDateTimeSchema.optional(),
    by: durationMsSchema.optional(),
    actor: actorSchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.expiresAt === undefined) === (input.by === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'give exactly one of expiresAt or by' });
    }
  });
export type ExtendOptions = z.input<typeof extendInputSchema>;

/** A rotation as a person asks for it: the overlap as a duration (`7d`, `30s`), default a week. */
export const rotateOptionsSchema = z
  .object({
    overlap: durationAtLeast(MIN_OVERLAP_MS).default(7 * MS_PER_DAY),
    actor: actorSchema.optional(),
    reason: labelSchemaForReason.optional(),
  })
  .strict();
export type RotateOptions = z.input<typeof rotateOptionsSchema>;

/** The owner's attestation: `by` who (required), an optional note, `keep` (default) or `revoke`. */
export const attestOptionsSchema = attestInputSchema;
export type AttestOptions = z.input<typeof attestOptionsSchema>;

/** A new owner or ticket in place (`null` clears one): the user and its credentials stay as they are. */
export const reassignOptionsSchema = reassignInputSchema;
export type ReassignOptions = z.input<typeof reassignOptionsSchema>;

export const confirmSwitchOptionsSchema = confirmSwitchInputSchema;
export type ConfirmSwitchOptions = z.input<typeof confirmSwitchOptionsSchema>;

export const revokeOptionsSchema = revokeInputSchema;
export type RevokeOptions = z.input<typeof revokeOptionsSchema>;

export const completeStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('create-role') }).strict(),
  /** The operator checked that the existing role `roleId` has exactly the requested permissions. */
  z.object({ step: z.literal('confirm-role'), roleId: z.number().int().nonnegative() }).strict(),
  z
    .object({
      step: z.literal('create-service'),
      clientId: marketoClientIdSchema,
      /** Read by the caller from a file or stdin; stored in the secret store here, never sent to Temporal. */
      clientSecret: z.string().trim().min(1).max(500),
    })
    .strict(),
  /** A rotation's old service is deleted in LaunchPoint: the workflow proves it with the old credentials. */
  z.object({ step: z.literal('retire-service') }).strict(),
]);
export type CompleteStepInput = z.input<typeof completeStepInputSchema>;

const emailArgumentSchema = z.object({ email: emailSchema });

/** The request an onboarding sends, or InputError: everything checkable without Temporal or Marketo. */
function onboardRequestFrom(input: OnboardInput, now: number): LifecycleRequest {
  const { expiresIn, actor: _actor, ...rest } = parse(onboardInputSchema, input);
  const expiresAt = toWholeSecond(rest.expiresAt ?? new Date(now + expiresIn!).toISOString());
  const request: LifecycleRequest = { ...rest, expiresAt };
  const problems = [
    ...expiryProblems(expiresAt, now, now, request.policy),
    ...lifetimeFloorProblems(expiresAt, now),
    ...attestationProblems(request),
  ];
  if (problems.length) throw new InputError(problems);
  return request;
}

/**
 * Checks a command's input before anything connects, so that bad input is an InputError (exit 2) whether or
 * not `up` or Temporal runs. The LifecycleClient methods check again: they are public on their own.
 */
export const validateInput = {
  email(email: string): void {
    parse(emailArgumentSchema, { email });
  },
  onboard(input: OnboardInput): void {
    onboardRequestFrom(input, Date.now());
  },
  extend(email: string, options: ExtendOptions): void {
    validateInput.email(email);
    parse(extendInputSchema, options);
  },
  revoke(email: string, options: RevokeOptions = {}): void {
    validateInput.email(email);
    parse(revokeOptionsSchema, options);
  },
  rotate(email: string, options: RotateOptions = {}): void {
    validateInput.email(email);
    parse(rotateOptionsSchema, options);
  },
  attest(email: string, options: AttestOptions): void {
    validateInput.email(email);
    parse(attestOptionsSchema, options);
  },
  reassign(email: string, options: ReassignOptions): void {
    validateInput.email(email);
    parse(reassignOptionsSchema, options);
  },
  confirmSwitch(email: string, options: ConfirmSwitchOptions = {}): void {
    validateInput.email(email);
    parse(confirmSwitchOptionsSchema, options);
  },
  completeStep(email: string, input: CompleteStepInput): void {
    validateInput.email(email);
    parse(completeStepInputSchema, input);
  },
  sweep(input: SweepRunInput = {}): void {
    parse(sweepRunInputSchema, input);
  },
  scheduleSweep(input: SweepScheduleInput): void {
    parse(sweepScheduleInputSchema, input);
  },
  scheduleUsage(input: UsageScheduleInput = {}): void {
    parse(usageScheduleInputSchema, input);
  },
  scheduleNote(input: ScheduleNoteInput = {}): void {
    parse(scheduleNoteInputSchema, input);
  },
  credentials(email: string, input: CredentialsInput = {}): void {
    validateInput.email(email);
    parse(credentialsInputSchema, input);
  },
  audit(input: AuditQueryInput = {}): void {
    parse(auditQueryInputSchema, input);
  },
};

export interface OnboardResult {
  workflowId: string;
  phase: LifecyclePhase;
  email: string;
  roleId: number | null;
  userId: string | null;
  clientId: string | null;
  expiresAt: string;
  secretRef: string | null;
  pendingOperatorAction: LifecycleStatus['pendingOperatorAction'] | null;
  failure: LifecycleStatus['failure'] | null;
  /** True when this call started the lifecycle, false when it found it running. */
  started: boolean;
}

export interface WaitOptions {
  /** Default 120 s. */
  timeoutMs?: number;
  /** Called with each new phase while waiting (the CLI shows progress with it). */
  onProgress?: (status: LifecycleStatus) => void;
}

const SETTLED: LifecyclePhase[] = ['active', 'awaiting-operator', 'failed', 'deactivated'];

function summarize(status: LifecycleStatus, started: boolean): OnboardResult {
  return {
    workflowId: status.workflowId,
    phase: status.phase,
    email: status.email,
    roleId: status.roleId ?? null,
    userId: status.userId ?? null,
    clientId: status.clientId ?? null,
    expiresAt: status.expiresAt,
    secretRef: status.secretRef ?? null,
    pendingOperatorAction: status.pendingOperatorAction ?? null,
    failure: status.failure ?? null,
    started,
  };
}

/** The reason a workflow gave for refusing an Update, without Temporal's wrapping. */
function refusal(error: unknown): never {
  if (error instanceof WorkflowNotFoundError) {
    throw new LifecycleRefusedError('The lifecycle has ended; nothing was changed.');
  }
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    throw new LifecycleRefusedError(cause);
  }
  throw error;
}

/**
 * A rotation the workflow refuses is something to wait for or change, not a failure. A `field: problem` refusal
 * is the workflow's schema speaking, left to `refusal` as bad input.
 */
function rotationRefusal(email: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      if (!/^[\w.-]+: /.test(cause)) throw rotationRefused(email, cause);
    }
    return refusal(error);
  };
}

function reassignRefused(why: string): ReassignRefusedError {
  return new ReassignRefusedError(
    `${why} Nothing was changed.`,
    '`list` shows the lifecycles and their phase; a running one changes its owner or ticket',
  );
}

function attestationRefused(why: string): AttestationRefusedError {
  return new AttestationRefusedError(
    `${why} Nothing was recorded.`,
    '`list` shows the lifecycles and their phase; only an active one is attested',
  );
}

function rotationRefused(email: string, why: string): RotationRefusedError {
  return new RotationRefusedError(
    `refused: ${why}`,
    `\`status ${email}\` shows the lifecycle and its rotation`,
  );
}

export const sweepRunInputSchema = z
  .object({ policy: sweepPolicySchema.optional(), dryRun: z.boolean().default(false) })
  .strict();
export type SweepRunInput = z.input<typeof sweepRunInputSchema>;

/** What reencryptSecrets did: `failed` names each secret left under an old key (ref, key id, why), never a secret. */
export interface ReencryptOutcome extends ReencryptReport {
  store: 'file' | 'postgres';
  currentKeyId: string;
}

export interface ClientOptions extends ContextOptions {
  /** An existing connection (tests, long-running services); otherwise one from @temporalio/envconfig. */
  connection?: Connection;
}

/** One reading of the audit query for the client's method and the store-only function: `--since 7d` from now. */
function queryAudit(store: Store, input: AuditQueryInput): Promise<AuditEvent[]> {
  return store.audit.query(auditFilterFrom(parse(auditQueryInputSchema, input), Date.now()));
}

export class LifecycleClient {
  private constructor(
    readonly context: ProductContext,
    private readonly client: Client,
    private readonly ownedConnection: Connection | undefined,
  ) {}

  #store: Promise<Store> | undefined;

  /** Temporal's workflow client on this context's namespace, for the desired-state plan and apply. */
  get workflows(): WorkflowClient {
    return this.client.workflow;
  }

  /** The store the workers use (secrets, audit log), opened on first use. */
  private store(): Promise<Store> {
    this.#store ??= openStore(this.context.storeSettings, this.context.keyring);
    return this.#store;
  }

  static async connect(options: ClientOptions = {}): Promise<LifecycleClient> {
    const context = await loadContext(options);
    let connection = options.connection;
    let owned: Connection | undefined;
    if (!connection) {
      try {
        owned = await Connection.connect({ ...context.temporal.connectionOptions, connectTimeout: '3s' });
      } catch (error) {
        throw new TemporalUnavailableError(
          `No Temporal server answers at ${context.temporal.address} (${(error as Error).message.split('\n')[0]}).`,
          'Start one with `marketo-api-users up` (with --data-dir if it uses another folder), or point TEMPORAL_ADDRESS at your cluster.',
        );
      }
      connection = owned;
    }
    const client = new Client({
      connection,
      namespace: context.temporal.namespace,
      dataConverter: createDataConverter(context.keyring),
    });
    return new LifecycleClient(context, client, owned);
  }

  async close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    try {
      if (store) await (await store).close();
    } finally {
      await this.ownedConnection?.close();
    }
  }

  private handleFor(email: string) {
    const parsed = parse(emailArgumentSchema, { email }).email;
    return this.client.workflow.getHandle<typeof lifecycleWorkflow>(this.context.workflowIdFor(parsed));
  }

  private async query(email: string): Promise<LifecycleStatus> {
    try {
      return await this.handleFor(email).query(statusQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new LifecycleNotFoundError(
          `No lifecycle for ${email} on this Marketo instance (${this.context.instanceId}).`,
        );
      }
      throw error;
    }
  }

  /** Starts the lifecycle, or finds the running one, and waits until it is active or waits for an operator. */
  async onboard(input: OnboardInput, options: WaitOptions = {}): Promise<OnboardResult> {
    const request = onboardRequestFrom(input, Date.now());

    const workflowId = this.context.workflowIdFor(request.email);
    const { started } = await startLifecycle(this.client.workflow, {
      workflowId,
      taskQueue: this.context.taskQueue,
      request,
      workflowIdKeyFingerprint: this.context.workflowIdKeyFingerprint,
      actor: parse(onboardInputSchema, input).actor ?? CLIENT_API_ACTOR,
      instanceId: this.context.instanceId,
    });
    if (!started) await this.refuseOtherSettings(input, request);
    const status = await this.waitUntilSettled(request.email, options);
    return summarize(status, started);
  }

  /** A running lifecycle asked for again with other settings: LifecycleConflictError, never a silent "found". */
  private async refuseOtherSettings(input: OnboardInput, request: LifecycleRequest): Promise<void> {
    const handle = this.handleFor(request.email);
    const [running, current] = await Promise.all([handle.query(requestQuery), handle.query(statusQuery)]);
    const { expiresIn } = parse(onboardInputSchema, input);
    const differences = onboardDifferences(
      { request, input, ...(expiresIn !== undefined ? { expiresInMs: expiresIn } : {}) },
      running,
      current,
    );
    if (differences.length) throw new LifecycleConflictError(request.email, differences);
  }

  /** Waits until the lifecycle is active, waiting for an operator, failed or ended. */
  async waitUntilSettled(email: string, options: WaitOptions = {}): Promise<LifecycleStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let lastPhase: LifecyclePhase | undefined;
    for (;;) {
      const status = await this.query(email).catch((error: unknown) => {
        if (error instanceof LifecycleNotFoundError) throw error;
        return undefined; // the first workflow task may not have run yet
      });
      if (status && status.phase !== lastPhase) {
        lastPhase = status.phase;
        options.onProgress?.(status);
      }
      if (status && SETTLED.includes(status.phase)) return status;
      if (Date.now() > deadline) {
        throw new TemporalUnavailableError(
          `The lifecycle of ${email} is still ${lastPhase ?? 'not started'} after ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s.`,
          'Check that a worker runs (`marketo-api-users up` or `marketo-api-users worker`); `status EMAIL` shows where it stands.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The lifecycle's state, with its last use from the usage ledger (day precision). */
  async status(email: string): Promise<LifecycleStatus & LastUsed> {
    const status = await this.query(email);
    const userid = status.userId ?? status.email;
    const usageOf = await lastUsedOfUsers(
      () => this.usageLedger(),
      this.context.marketoBaseUrl,
      [userid],
      Date.now(),
    );
    return { ...status, ...usageOf(userid) };
  }

  private async usageLedger(): Promise<UsageLedger> {
    return (await this.store()).usage;
  }

  async extend(email: string, options: ExtendOptions): Promise<LifecycleStatus> {
    const parsed = parse(extendInputSchema, options);
    const current = await this.query(email);
    if (current.phase !== 'active') {
      throw new LifecycleRefusedError(
        `Only an active lifecycle can be extended; this one is ${current.phase}.`,
      );
    }
    const expiresAt = toWholeSecond(
      parsed.expiresAt ?? new Date(Date.parse(current.expiresAt) + parsed.by!).toISOString(),
    );
    const actor = parsed.actor ?? CLIENT_API_ACTOR;
    return this.handleFor(email)
      .executeUpdate(extendUpdate, { args: [{ expiresAt, actor }] })
      .catch(refusal);
  }

  async revoke(email: string, options: RevokeOptions = {}): Promise<LifecycleStatus> {
    const parsed = parse(revokeOptionsSchema, options);
    const current = await this.query(email);
    // Revoking what already ended changes nothing, and says so by returning the final status.
    if (current.phase === 'deactivated' || current.phase === 'failed') return current;
    return this.handleFor(email)
      .executeUpdate(revokeUpdate, { args: [{ ...parsed, actor: parsed.actor ?? CLIENT_API_ACTOR }] })
      .catch(refusal);
  }

  /**
   * Stages a second custom service and hands its credentials over from now on; the old one works until the
   * overlap ends (or `confirmSwitch`), then is deleted and proven dead. Answers once both work, or once an
   * operator is asked for the new service (a real instance). RotationRefusedError while another rotation runs.
   */
  async rotate(email: string, options: RotateOptions = {}): Promise<LifecycleStatus> {
    const { overlap, actor, reason } = parse(rotateOptionsSchema, options);
    const current = await this.query(email);
    if (current.phase !== 'active') {
      throw rotationRefused(
        email,
        `Only an active lifecycle can rotate its secret; this one is ${current.phase}.`,
      );
    }
    const input = { overlapMs: overlap, actor: actor ?? CLIENT_API_ACTOR, ...(reason ? { reason } : {}) };
    return this.handleFor(email)
      .executeUpdate(rotateUpdate, { args: [input] })
      .catch(rotationRefusal(email));
  }

  /**
   * The owner attests the access: `keep` restarts the attestation clock, `revoke` locks the user (answered once
   * locked). AttestationRefusedError when there is no such lifecycle or it is not active.
   */
  async attest(email: string, options: AttestOptions): Promise<LifecycleStatus> {
    const input = parse(attestOptionsSchema, options);
    const current = await this.query(email).catch((error: unknown) => {
      if (error instanceof LifecycleNotFoundError) throw attestationRefused(error.message);
      throw error;
    });
    if (current.phase !== 'active') {
      throw attestationRefused(`Only an active lifecycle can be attested; this one is ${current.phase}.`);
    }
    return this.handleFor(email)
      .executeUpdate(attestUpdate, { args: [input] })
      .catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) throw attestationRefused('The lifecycle has ended.');
        if (error instanceof WorkflowUpdateFailedError) {
          const cause = error.cause instanceof Error ? error.cause.message : error.message;
          if (!/^[\w.-]+: /.test(cause)) throw attestationRefused(cause);
        }
        return refusal(error);
      });
  }

  /**
   * A new owner or ticket, in place: the user, its service and the integration's credentials stay. Answers the
   * status as changed; ReassignRefusedError when there is no such lifecycle, it is ending or ended, or the owner
   * would be cleared under an attestation policy.
   */
  async reassign(email: string, options: ReassignOptions): Promise<LifecycleStatus> {
    const input = parse(reassignOptionsSchema, options);
    const current = await this.query(email).catch((error: unknown) => {
      if (error instanceof LifecycleNotFoundError) throw reassignRefused(error.message);
      throw error;
    });
    if (current.phase === 'deactivated' || current.phase === 'failed') {
      throw reassignRefused(
        `Only a running lifecycle changes its owner or ticket; this one is ${current.phase}.`,
      );
    }
    return this.handleFor(email)
      .executeUpdate(reassignUpdate, { args: [{ ...input, actor: input.actor ?? CLIENT_API_ACTOR }] })
      .catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) throw reassignRefused('The lifecycle has ended.');
        if (error instanceof WorkflowUpdateFailedError) {
          const cause = error.cause instanceof Error ? error.cause.message : error.message;
          throw reassignRefused(cause);
        }
        return refusal(error);
      });
  }

  /** The consumer switched to the new credentials: the old service is retired now instead of at the overlap's end. */
  async confirmSwitch(email: string, options: ConfirmSwitchOptions = {}): Promise<LifecycleStatus> {
    const { actor } = parse(confirmSwitchOptionsSchema, options);
    await this.query(email);
    return this.handleFor(email)
      .executeUpdate(confirmSwitchUpdate, { args: [{ actor: actor ?? CLIENT_API_ACTOR }] })
      .catch(rotationRefusal(email));
  }

  /**
   * The active lifecycle's client id and secret, for the integration: CredentialsUnavailableError (with what
   * happened: revoked, expired, awaiting the operator) when it has none. Every read is in the audit log first.
   */
  async credentials(email: string, input: CredentialsInput = {}): Promise<ServiceCredentials> {
    const parsed = parse(credentialsInputSchema, input);
    const status = await this.query(email);
    const store = await this.store();
    return handOverCredentials(
      { secrets: store.secrets, audit: store.audit, marketoBaseUrl: this.context.marketoBaseUrl },
      status,
      parsed,
    );
  }

  /** The audit log, oldest first: who did what to which lifecycle, never a secret. */
  async audit(input: AuditQueryInput = {}): Promise<AuditEvent[]> {
    return queryAudit(await this.store(), input);
  }

  /** The operator finished a pending step; for a custom service the secret goes to the secret store only. */
  async completeStep(
    email: string,
    input: CompleteStepInput,
  ): Promise<{ verified: boolean; problem?: string; status: LifecycleStatus }> {
    const parsed = parse(completeStepInputSchema, input);
    const status = await this.query(email);
    const pending = status.pendingOperatorAction;
    if (!pending) throw new LifecycleRefusedError('No operator step is pending for this lifecycle.');
    if (pending.step !== parsed.step) {
      throw new LifecycleRefusedError(`The pending step is ${pending.step}, not ${parsed.step}.`);
    }
    const handle = this.handleFor(email);
    if (parsed.step !== 'create-service') {
      return handle.executeUpdate(completeOperatorStepUpdate, { args: [parsed] }).catch(refusal);
    }
    // A ref of its own: a refused or unverified secret must never replace one a lifecycle already uses.
    const secretRef = `${secretRefFor(status.workflowId)}-from-operator-${Date.now()}`;
    const { secrets } = await this.store();
    await secrets.put(secretRef, {
      clientId: parsed.clientId,
      clientSecret: parsed.clientSecret,
    });
    try {
      const outcome = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-service', clientId: parsed.clientId, secretRef }],
      });
      if (!outcome.verified) await secrets.delete(secretRef);
      return outcome;
    } catch (error) {
      await secrets.delete(secretRef);
      return refusal(error);
    }
  }

  /** Runs one sweep now and waits for its report; `onProgress` hears the sweep's progress about once a second. */
  async sweep(
    input: SweepRunInput = {},
    onProgress?: (progress: SweepProgress) => void,
  ): Promise<SweepReport> {
    const parsed = parse(sweepRunInputSchema, input);
    const handle = await this.client.workflow.start(sweepWorkflow, {
      taskQueue: this.context.taskQueue,
      workflowId: `marketo-api-users-sweep-now-${Date.now()}`,
      args: [{ dryRun: parsed.dryRun, ...(parsed.policy ? { policy: parsed.policy } : {}) }],
    });
    if (!onProgress) return handle.result();
    // Without a run id the query follows the sweep across continue-as-new.
    const latest = this.client.workflow.getHandle(handle.workflowId);
    let finished = false;
    const poll = async () => {
      while (!finished) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (finished) return;
        // Between two runs there is briefly nothing to ask: the next poll answers.
        const progress = await latest.query(sweepProgressQuery).catch(() => undefined);
        if (progress && !finished) onProgress(progress);
      }
    };
    void poll();
    try {
      return await handle.result();
    } finally {
      finished = true;
    }
  }

  /**
   * Creates the sweep's Temporal Schedule, or updates it when it exists (a paused one stays paused): `every`
   * an interval, or `at` HH:MM daily in `timezone` (default UTC). A sweep still running is not doubled.
   */
  async scheduleSweep(input: SweepScheduleInput): Promise<ScheduledSweep> {
    return upsertSweepSchedule(this.client, this.context.taskQueue, parse(sweepScheduleInputSchema, input));
  }

  /** Pauses the schedule with a note (describe and the Web UI show it); SweepScheduleNotFoundError without one. */
  async pauseSweepSchedule(input: ScheduleNoteInput = {}): Promise<SweepSchedulePauseResult> {
    return setSweepSchedulePaused(this.client, true, parse(scheduleNoteInputSchema, input));
  }

  /** Resumes the schedule with a note; SweepScheduleNotFoundError without one. */
  async resumeSweepSchedule(input: ScheduleNoteInput = {}): Promise<SweepSchedulePauseResult> {
    return setSweepSchedulePaused(this.client, false, parse(scheduleNoteInputSchema, input));
  }

  /** Runs the scheduled sweep now, unless one of its sweeps still runs; SweepScheduleNotFoundError without one. */
  async triggerSweepSchedule(): Promise<SweepScheduleTriggerResult> {
    return triggerSchedule(this.client);
  }

  /** Paused and why, when it runs, its next 5 times, its last 5 runs with their outcome, and the policy. */
  async describeSweepSchedule(): Promise<SweepScheduleDescription> {
    return describeSchedule(this.client);
  }

  /** Creates the usage collector's daily schedule (default 00:30 America/Chicago), or moves its time. */
  async scheduleUsage(input: UsageScheduleInput = {}): Promise<ScheduledUsage> {
    return upsertUsageSchedule(this.client, this.context.taskQueue, parse(usageScheduleInputSchema, input));
  }

  /** Removes the usage collector's schedule; false when there was none. */
  async deleteUsageSchedule(): Promise<boolean> {
    return deleteUsageSchedule(this.client);
  }

  /** Reads Marketo's Usage API now (two calls) into the usage ledger; says what it stored. */
  async collectUsage(): Promise<UsageCollectionReport> {
    return collectUsageNow(this.client, this.context.taskQueue);
  }

  /** Removes the sweep's schedule; false when there was none. */
  async deleteSweepSchedule(): Promise<boolean> {
    try {
      await this.client.schedule.getHandle(SWEEP_SCHEDULE_ID).delete();
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  }

  /**
   * The lifecycles on this namespace matching `filter`, newest first, from visibility alone: one call per page,
   * whatever the number of lifecycles.
   */
  async list(filter: ListFilterInput = {}): Promise<(LifecycleSummary & LastUsed)[]> {
    const summaries = await listFromVisibility(this.client.workflow, parse(listFilterSchema, filter));
    const emails = summaries.flatMap((summary) => (summary.email === null ? [] : [summary.email]));
    const usageOf = await lastUsedOfUsers(
      () => this.usageLedger(),
      this.context.marketoBaseUrl,
      emails,
      Date.now(),
    );
    return summaries.map((summary) => ({
      ...summary,
      ...(summary.email === null ? USAGE_UNKNOWN : usageOf(summary.email)),
    }));
  }

  /** Every API-only user of the instance, managed or hand-made, with owner, attestation and rotation age. */
  async report(input: ReportInput = {}, onProgress?: (text: string) => void): Promise<ComplianceReport> {
    const { workflow: workflows } = this.client;
    const workflowIdFor = (email: string) => this.context.workflowIdFor(email);
    const lastUsedOf = (userids: string[]) =>
      lastUsedOfUsers(() => this.usageLedger(), this.context.marketoBaseUrl, userids, Date.now());
    const target = { workflows, taskQueue: this.context.taskQueue, workflowIdFor, lastUsedOf };
    return buildComplianceReport(target, parse(reportInputSchema, input), onProgress);
  }

  /** Registers the lifecycle's search attributes on this namespace where missing; says what it added and found. */
  async setupNamespace(): Promise<NamespaceSetupReport> {
    return setupNamespace(this.client.connection, this.context.temporal.namespace);
  }

  /**
   * `list` as it was before search attributes: a status Query to every lifecycle (a workflow task each, a
   * replay for any not in a worker's cache). Kept only so the bench can measure it against `list`.
   */
  async listByStatusQueries(): Promise<LifecycleSummary[]> {
    return listByStatusQueries(this.client.workflow);
  }
}

async function withClient<T>(
  options: ClientOptions | undefined,
  body: (client: LifecycleClient) => Promise<T>,
): Promise<T> {
  const client = await LifecycleClient.connect(options);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

// Each checks its input before it connects: bad input is an InputError even where no Temporal answers.
export const onboard = async (input: OnboardInput, options?: ClientOptions & WaitOptions) => {
  validateInput.onboard(input);
  return withClient(options, (c) => c.onboard(input, options));
};
export const status = async (email: string, options?: ClientOptions) => {
  validateInput.email(email);
  return withClient(options, (c) => c.status(email));
};
export const extend = async (email: string, input: ExtendOptions, options?: ClientOptions) => {
  validateInput.extend(email, input);
  return withClient(options, (c) => c.extend(email, input));
};
export const revoke = async (email: string, input?: RevokeOptions, options?: ClientOptions) => {
  validateInput.revoke(email, input);
  return withClient(options, (c) => c.revoke(email, input));
};
export const list = async (options?: ClientOptions, filter?: ListFilterInput) => {
  parse(listFilterSchema, filter ?? {});
  return withClient(options, (c) => c.list(filter));
};
export const report = async (input?: ReportInput, options?: ClientOptions) => {
  parse(reportInputSchema, input ?? {});
  return withClient(options, (c) => c.report(input));
};
export const sweep = async (input?: SweepRunInput, options?: ClientOptions) => {
  validateInput.sweep(input);
  return withClient(options, (c) => c.sweep(input));
};
export const scheduleSweep = async (input: SweepScheduleInput, options?: ClientOptions) => {
  validateInput.scheduleSweep(input);
  return withClient(options, (c) => c.scheduleSweep(input));
};
export const credentials = async (email: string, input?: CredentialsInput, options?: ClientOptions) => {
  validateInput.credentials(email, input);
  return withClient(options, (c) => c.credentials(email, input));
};
/** The audit log, oldest first. Reads the store only: a security team needs no Temporal connection for it. */
export const audit = async (
  input: AuditQueryInput = {},
  options: ContextOptions = {},
): Promise<AuditEvent[]> => {
  validateInput.audit(input);
  const context = await loadStoreContext(options);
  const store = await openStore(context.storeSettings, context.keyring);
  try {
    return await queryAudit(store, input);
  } finally {
    await store.close();
  }
};
/**
 * After a key rotation (every worker restarted with the new current key): moves the stored secrets under that
 * key, so the old one can be retired. Workers do the same in the background when they start; this is the call
 * to run and check. Needs the store, not Temporal. The file store keeps secrets in 0600 files, not under the
 * keyring: nothing to do there.
 */
export async function reencryptSecrets(options: ContextOptions = {}): Promise<ReencryptOutcome> {
  const context = await loadStoreContext(options);
  const store = await openStore(context.storeSettings, context.keyring);
  try {
    const currentKeyId = context.keyring.currentKeyId;
    if (!store.reencryptSecrets) return { store: 'file', currentKeyId, reencrypted: 0, failed: [] };
    return { store: 'postgres', currentKeyId, ...(await store.reencryptSecrets()) };
  } finally {
    await store.close();
  }
}
export {
  moveStore,
  moveStoreInputSchema,
  type MoveStoreInput,
  type MoveStoreOptions,
  type MoveStoreOutcome,
} from './move-store';
export const deleteSweepSchedule = (options?: ClientOptions) =>
  withClient(options, (c) => c.deleteSweepSchedule());
export const pauseSweepSchedule = async (input?: ScheduleNoteInput, options?: ClientOptions) => {
  validateInput.scheduleNote(input);
  return withClient(options, (c) => c.pauseSweepSchedule(input));
};
export const resumeSweepSchedule = async (input?: ScheduleNoteInput, options?: ClientOptions) => {
  validateInput.scheduleNote(input);
  return withClient(options, (c) => c.resumeSweepSchedule(input));
};
export const triggerSweepSchedule = (options?: ClientOptions) =>
  withClient(options, (c) => c.triggerSweepSchedule());
export const describeSweepSchedule = (options?: ClientOptions) =>
  withClient(options, (c) => c.describeSweepSchedule());
export const rotate = async (email: string, input?: RotateOptions, options?: ClientOptions) => {
  validateInput.rotate(email, input);
  return withClient(options, (c) => c.rotate(email, input));
};
export const confirmSwitch = async (email: string, input?: ConfirmSwitchOptions, options?: ClientOptions) => {
  validateInput.confirmSwitch(email, input);
  return withClient(options, (c) => c.confirmSwitch(email, input));
};
export const attest = async (email: string, input: AttestOptions, options?: ClientOptions) => {
  validateInput.attest(email, input);
  return withClient(options, (c) => c.attest(email, input));
};
export const reassign = async (email: string, input: ReassignOptions, options?: ClientOptions) => {
  validateInput.reassign(email, input);
  return withClient(options, (c) => c.reassign(email, input));
};
export const completeStep = async (email: string, input: CompleteStepInput, options?: ClientOptions) => {
  validateInput.completeStep(email, input);
  return withClient(options, (c) => c.completeStep(email, input));
};
