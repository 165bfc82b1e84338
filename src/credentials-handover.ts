/**
 * The hand-over the seed procedure ends with: the active lifecycle's client id and secret, read from the store
 * for the integration, and every read (or refused read) recorded in the audit log with who asked and why. Used
 * by the client API; the CLI's `credentials` command writes what this returns.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { durationMsSchema } from './domain/durations';
import {
  actorSchema,
  emailSchema,
  isoDateTimeSchema,
  labelSchemaForReason,
} from './domain/lifecycle-request';
import type { LifecycleStatus } from './domain/lifecycle-status';
import { CredentialsUnavailableError } from './errors';
import type { SecretStore } from './security/secret-store';
import { auditEventKindSchema, type AuditEvent, type AuditFilter, type AuditLog } from './store/types';

/** Who reads and why: both go to the audit log. */
export const credentialsInputSchema = z
  .object({ actor: actorSchema.optional(), reason: labelSchemaForReason.optional() })
  .strict();
export type CredentialsInput = z.input<typeof credentialsInputSchema>;

/** What an integration needs to obtain a token: its client id and secret, and where to ask. */
export interface ServiceCredentials {
  email: string;
  clientId: string;
  clientSecret: string;
  /** The Marketo instance's base URL, when this machine knows it (the identity endpoint is below it). */
  marketoBaseUrl: string | null;
  expiresAt: string;
  workflowId: string;
  /**
   * During a rotation: the old service that still works, and when its overlap ends (or the switch was
   * confirmed); `beingRetired` once it is being deleted and proven dead. Null otherwise.
   */
  retiring: { clientId: string; endsAt: string; beingRetired: boolean } | null;
}

const SINCE_PROBLEM =
  'must be a date and time with a zone (2026-12-01T00:00:00Z) or a duration back from now (7d)';

/** The audit log's filter as a person gives it: `since` a date or a duration back from now (`7d`). */
export const auditQueryInputSchema = z
  .object({
    email: emailSchema.optional(),
    since: z
      .union([z.string(), z.number()])
      .transform((value, ctx) => {
        const date = isoDateTimeSchema.safeParse(value);
        if (date.success) return date.data;
        const duration = durationMsSchema.safeParse(value);
        if (duration.success) return duration.data;
        ctx.addIssue({ code: 'custom', message: SINCE_PROBLEM });
        return z.NEVER;
      })
      .optional(),
    kinds: z.array(auditEventKindSchema).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type AuditQueryInput = z.input<typeof auditQueryInputSchema>;

export function auditFilterFrom(input: z.output<typeof auditQueryInputSchema>, now: number): AuditFilter {
  const { since, ...rest } = input;
  if (since === undefined) return rest;
  return { ...rest, since: typeof since === 'number' ? new Date(now - since).toISOString() : since };
}

/** Why a lifecycle has no credentials to hand over, as problem and hint; undefined when it has. */
function unavailable(status: LifecycleStatus): { problem: string; hint: string } | undefined {
  const { email } = status;
  const again = `Onboard ${email} again for new credentials; \`audit --email ${email}\` shows what happened.`;
  switch (status.phase) {
    case 'active':
      return undefined;
    case 'deactivated': {
      const end = status.deactivation;
      const how = end?.cause === 'expired' ? 'expired' : 'was revoked';
      const why = end?.reason ? ` (${end.reason})` : '';
      return {
        problem: `The access of ${email} ${how} at ${end?.at ?? 'an unknown time'}${why}; its secret is deleted.`,
        hint: again,
      };
    }
    case 'failed':
      return {
        problem: `The lifecycle of ${email} failed (${status.failure?.message ?? 'unknown reason'}); it has no credentials.`,
        hint: again,
      };
    case 'awaiting-operator':
      return {
        problem: `The lifecycle of ${email} is awaiting the operator (${status.pendingOperatorAction?.step ?? 'a step'}); it has no credentials yet.`,
        hint: `\`status ${email}\` shows what the operator must do; once \`complete-step\` is verified, run this again.`,
      };
    case 'provisioning':
      return {
        problem: `The lifecycle of ${email} is still being provisioned; it has no credentials yet.`,
        hint: `Run this again in a moment; \`status ${email}\` shows where it stands.`,
      };
  }
}

export interface HandoverDeps {
  secrets: SecretStore;
  audit: AuditLog;
  marketoBaseUrl: string | undefined;
}

/**
 * The credentials of an active lifecycle, recorded before they are returned: a read the log could not record
 * hands nothing over. A refused read is recorded too, with what the lifecycle answered.
 */
export async function handOverCredentials(
  deps: HandoverDeps,
  status: LifecycleStatus,
  input: z.output<typeof credentialsInputSchema>,
): Promise<ServiceCredentials> {
  const refused = unavailable(status);
  const record = (outcome: string) => deps.audit.append(readEvent(status, input, outcome));
  if (refused) {
    await record(`refused: ${status.phase}`);
    throw new CredentialsUnavailableError(status.email, status.phase, refused.problem, refused.hint);
  }
  const stored = status.secretRef ? await deps.secrets.get(status.secretRef) : undefined;
  if (!stored || stored.clientId !== status.clientId) {
    await record('refused: no stored secret');
    throw new CredentialsUnavailableError(
      status.email,
      status.phase,
      `The secret of ${status.email}'s custom service is not in this machine's store.`,
      'Run `credentials` where the workers keep their data folder (MARKETO_API_USERS_DATA_DIR), or use a store they share.',
    );
  }
  await record('handed over');
  return {
    email: status.email,
    clientId: stored.clientId,
    clientSecret: stored.clientSecret,
    marketoBaseUrl: deps.marketoBaseUrl ?? null,
    expiresAt: status.expiresAt,
    workflowId: status.workflowId,
    retiring: retiringService(status),
  };
}

function readEvent(
  status: LifecycleStatus,
  input: z.output<typeof credentialsInputSchema>,
  outcome: string,
): AuditEvent {
  return {
    // Every read is its own event: nothing to deduplicate.
    id: `credentials-read/${status.workflowId}/${randomUUID()}`,
    at: new Date().toISOString(),
    kind: 'credentials-read',
    email: status.email,
    workflowId: status.workflowId,
    actor: input.actor ?? 'client-api',
    reason: input.reason ?? null,
    detail: { outcome, clientId: status.clientId ?? null, phase: status.phase },
  };
}

/** The old service of a rotation whose new one is handed over: it works until the overlap ends, or dies now. */
function retiringService(status: LifecycleStatus): ServiceCredentials['retiring'] {
  const rotation = status.rotation;
  if (!rotation || rotation.stage === 'staging' || !rotation.overlapEndsAt) return null;
  const endsAt = rotation.switchConfirmedAt ?? rotation.overlapEndsAt;
  return { clientId: rotation.retiring.clientId, endsAt, beingRetired: rotation.stage === 'retiring' };
}
