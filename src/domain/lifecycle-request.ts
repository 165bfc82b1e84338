import { z } from 'zod';
import {
  durationAtLeast,
  durationMsSchema,
  formatDuration,
  MIN_LIFETIME_MS,
  MIN_OPERATOR_INTERVAL_MS,
  MIN_OVERLAP_MS,
  MIN_ATTEST_EVERY_MS,
  MIN_ROTATE_EVERY_MS,
  MS_PER_DAY,
} from './durations';
import { ACCESS_API_PERMISSIONS, repeatedPermissions } from './permissions';

// ASCII only on purpose: a look-alike Unicode letter (Cyrillic "а" for Latin "a") would create a second user
// that reads like the first. Marketo user ids are emails, compared case-insensitively, so we lowercase.
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

// Marketo and most mail systems refuse these although the character set above allows them (RFC 5321).
const LOCAL_PART_DOTS = /^\.|\.\.|\.@/;
// A top-level domain of letters (or an IDN in its xn-- form): `name@127.0.0.1` is no mailbox.
const TOP_LEVEL_DOMAIN = /\.(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

// Names and labels are shown in Marketo's UI and our notifications: no control characters or markup.
const SAFE_TEXT = /^[^\p{Cc}<>]*$/u;
// Bidirectional controls make a name read differently from what it is (`Ada\u202Egnp.exe`).
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
// Line and paragraph separators break a line in a log or a notification without any control character.
const LINE_SEPARATORS = /[\u2028\u2029]/u;
// Nothing a reader can see: white space and zero-width characters only.
const BLANK = /^[\s\u00AD\u180E\u200B-\u200D\u2060\uFEFF]+$/u;

/** Each rule judges an address the basic pattern accepted, so one malformed address gets one clear problem. */
const emailRule = (test: (email: string) => boolean) => (email: string) => !EMAIL.test(email) || test(email);

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .regex(EMAIL, 'must be a plain ASCII email address like name@example.com (no look-alike Unicode letters)')
  .refine(
    emailRule((email) => email.indexOf('@') <= 64),
    'the part before @ must be at most 64 characters',
  )
  .refine(
    emailRule((email) => !LOCAL_PART_DOTS.test(email)),
    'the part before @ must not start or end with a dot, nor have two dots in a row',
  )
  .refine(
    emailRule((email) => TOP_LEVEL_DOMAIN.test(email)),
    'must end in a top-level domain of letters, like .com',
  );

const labelSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(SAFE_TEXT, 'must not contain control characters or < >')
    .refine(
      (text) => !BIDI_CONTROLS.test(text),
      'must not contain bidirectional text controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C)',
    )
    .refine((text) => !LINE_SEPARATORS.test(text), 'must not contain line or paragraph separators')
    .refine((text) => !BLANK.test(text), 'must not be blank (only spaces or zero-width characters)');

export const labelSchemaForReason = labelSchema(500);

/** Who asked (a person, a pipeline): recorded in the audit log beside what was done. */
export const actorSchema = labelSchema(200);

// A tracker's issue key: a project of letters and digits, a dash, a number (JIRA-123, OPS_2-7, INC-2024001).
const TICKET = /^[A-Za-z][A-Za-z0-9_]{0,29}-[0-9]{1,12}$/;

/** The ticket that asked for the access, as its issue key: a label, never free text. */
export const ticketSchema = z
  .string()
  .trim()
  .max(43, 'must be at most 43 characters')
  .regex(TICKET, 'must be an issue key like JIRA-123 (letters or digits, a dash, then a number)');

export const isoDateTimeSchema = z.iso.datetime({
  offset: true,
  message: 'must be an ISO-8601 date and time with a zone, like 2026-12-31T23:59:59Z',
});

/**
 * Marketo keeps expiries to the second (an invite takes no fraction), so an expiry with milliseconds would let
 * Marketo lock the user up to a second before the workflow's date. Every expiry is rounded up to a whole second.
 */
export function toWholeSecond(iso: string): string {
  return new Date(Math.ceil(Date.parse(iso) / 1000) * 1000).toISOString();
}

/** A reminder this long before the expiry, then this, then this: each sent once per expiry. */
export const DEFAULT_REMINDER_LEADS_MS = [30 * MS_PER_DAY, 7 * MS_PER_DAY, MS_PER_DAY];
const MAX_REMINDER_LEADS = 10;
export const DEFAULT_ATTESTATION_WINDOW_MS = 14 * MS_PER_DAY;

/**
 * Lead times before the expiry, longest first (the order they fall due in), each given once. One reminder
 * goes per lead and expiry. A lead falling due less than a minute after the expiry is set (activation, an
 * extension, a shorter date), so any lead at least as long as the access, is skipped: whoever set it knows it.
 * When several fall due at once (workers or Marketo down for a while) only the nearest goes: a burst of
 * reminders says nothing the last one does not.
 */
export const reminderLeadsSchema = z
  .array(durationMsSchema)
  .min(1, 'give at least one lead time, like 30d,7d,1d')
  .max(MAX_REMINDER_LEADS, `give at most ${MAX_REMINDER_LEADS} lead times`)
  .refine((leads) => new Set(leads).size === leads.length, 'must not give the same lead time twice')
  .transform((leads) => [...leads].sort((a, b) => b - a));

export const lifecyclePolicySchema = z
  .object({
    /** How long before the expiry each reminder goes out (see reminderLeadsSchema). */
    reminderLeadsMs: reminderLeadsSchema.default(DEFAULT_REMINDER_LEADS_MS),
    /** The longest access may last, counted from the lifecycle's creation: extensions cannot pass it. */
    maxLifetimeMs: durationMsSchema.default(365 * MS_PER_DAY),
    /** How long an operator step may stay pending before the run gives up and undoes what it made. */
    operatorStepDeadlineMs: durationMsSchema.default(7 * MS_PER_DAY),
    /** How often a pending operator step is announced again. */
    operatorReminderEveryMs: durationMsSchema.default(MS_PER_DAY),
    /** Rotate the custom service's secret this often (counted from activation, then from each rotation). */
    rotateEveryMs: durationMsSchema.optional(),
    /** How long both services work in a scheduled rotation. */
    rotationOverlapMs: durationMsSchema.default(7 * MS_PER_DAY),
    /** Ask the owner to attest this often (counted from activation, then from each attestation). */
    attestEveryMs: durationMsSchema.optional(),
    /** How long the owner has to answer before the user is locked, as Entra's access reviews do. */
    attestationWindowMs: durationMsSchema.default(DEFAULT_ATTESTATION_WINDOW_MS),
  })
  // Strict: a misspelt field (`reminderLeads`) would otherwise be dropped and its default used without a word.
  .strict();

/**
 * The policy as the client API and the CLI take it: the workflow's policy with floors on the operator step
 * (see MIN_OPERATOR_INTERVAL_MS), so a reminder every second cannot be asked for.
 */
export const requestedPolicySchema = lifecyclePolicySchema.extend({
  operatorStepDeadlineMs: durationAtLeast(MIN_OPERATOR_INTERVAL_MS).default(7 * MS_PER_DAY),
  operatorReminderEveryMs: durationAtLeast(MIN_OPERATOR_INTERVAL_MS).default(MS_PER_DAY),
  rotateEveryMs: durationAtLeast(MIN_ROTATE_EVERY_MS).optional(),
  rotationOverlapMs: durationAtLeast(MIN_OVERLAP_MS).default(7 * MS_PER_DAY),
  attestEveryMs: durationAtLeast(MIN_ATTEST_EVERY_MS).optional(),
  attestationWindowMs: durationAtLeast(MIN_OPERATOR_INTERVAL_MS).default(DEFAULT_ATTESTATION_WINDOW_MS),
});

/** An expiry asked for at the edge must leave at least MIN_LIFETIME_MS of access. */
export const requestedLifetimeSchema = durationAtLeast(MIN_LIFETIME_MS);

/** The edge's clock rule on top of expiryProblems: an expiry date at least MIN_LIFETIME_MS from now. */
export function lifetimeFloorProblems(expiresAtIso: string, nowMs: number): string[] {
  const left = Date.parse(expiresAtIso) - nowMs;
  if (left <= 0 || left >= MIN_LIFETIME_MS) return [];
  return [`expiresAt: must be at least ${formatDuration(MIN_LIFETIME_MS)} from now`];
}

export const roleRequestSchema = z
  .object({
    name: labelSchema(100),
    /** The new role's permissions, or exactly those of the existing custom role of that name. */
    permissions: z
      .array(z.enum(ACCESS_API_PERMISSIONS))
      .max(ACCESS_API_PERMISSIONS.length)
      .superRefine((permissions, ctx) => {
        for (const repeated of repeatedPermissions(permissions)) {
          ctx.addIssue({
            code: 'custom',
            message: `lists "${repeated}" more than once; give each permission once`,
          });
        }
      })
      .default([]),
    /** A workspace id or name; 0 is "AllZones". */
    workspace: z.union([z.number().int().nonnegative(), labelSchema(100)]).default(0),
  })
  .strict();

/** What a pipeline asks for: one API-only user with its role and custom service, until an expiry. */
export const lifecycleRequestSchema = z
  .object({
    email: emailSchema,
    firstName: labelSchema(64),
    lastName: labelSchema(64),
    role: roleRequestSchema,
    reason: labelSchemaForReason.optional(),
    /** Who vouches for the access (a person's or team's address): asked to attest under policy.attestEveryMs. */
    owner: emailSchema.optional(),
    ticket: ticketSchema.optional(),
    expiresAt: isoDateTimeSchema,
    service: z
      .object({
        displayName: labelSchema(100).optional(),
        description: labelSchema(500).optional(),
      })
      .strict()
      .default({}),
    policy: lifecyclePolicySchema.default({
      reminderLeadsMs: DEFAULT_REMINDER_LEADS_MS,
      maxLifetimeMs: 365 * MS_PER_DAY,
      operatorStepDeadlineMs: 7 * MS_PER_DAY,
      operatorReminderEveryMs: MS_PER_DAY,
      rotationOverlapMs: 7 * MS_PER_DAY,
      attestationWindowMs: DEFAULT_ATTESTATION_WINDOW_MS,
    }),
  })
  .strict();

export type LifecycleRequestInput = z.input<typeof lifecycleRequestSchema>;
export type LifecycleRequest = z.output<typeof lifecycleRequestSchema>;
export type LifecyclePolicy = z.output<typeof lifecyclePolicySchema>;

export function serviceDisplayName(request: Pick<LifecycleRequest, 'service' | 'email'>): string {
  return request.service.displayName ?? `API access for ${request.email}`.slice(0, 100);
}

/** A rotation's second service has a name of its own: a retry of its creation must not take the first for it. */
export function rotatedServiceDisplayName(request: LifecycleRequest, rotation: number): string {
  const suffix = ` (rotation ${rotation})`;
  return `${serviceDisplayName(request).slice(0, 100 - suffix.length)}${suffix}`;
}

export function serviceDescription(request: LifecycleRequest): string {
  return request.service.description ?? `Managed by marketo-api-users until ${request.expiresAt}`;
}

/**
 * Rules that depend on the clock, checked at the edge (client, CLI) with the real clock and again in the
 * workflow with workflow time. Returns problems as `field: problem`, empty when the request is acceptable.
 */
export function expiryProblems(
  expiresAtIso: string,
  nowMs: number,
  createdAtMs: number,
  policy: LifecyclePolicy,
): string[] {
  const expiresAt = Date.parse(expiresAtIso);
  const problems: string[] = [];
  if (!(expiresAt > nowMs)) problems.push('expiresAt: must be in the future');
  if (expiresAt > createdAtMs + policy.maxLifetimeMs) {
    problems.push(
      `expiresAt: must be within the maximum lifetime (${new Date(createdAtMs + policy.maxLifetimeMs).toISOString()})`,
    );
  }
  return problems;
}

/** Attestation needs someone to ask, and an answer window shorter than the period between two asks. */
export function attestationIssues(
  request: Pick<LifecycleRequest, 'owner' | 'policy'>,
): { path: string[]; message: string }[] {
  const every = request.policy.attestEveryMs;
  if (every === undefined) return [];
  const issues: { path: string[]; message: string }[] = [];
  if (request.owner === undefined) {
    issues.push({
      path: ['owner'],
      message: 'required with policy.attestEveryMs (the address asked to attest)',
    });
  }
  if (request.policy.attestationWindowMs >= every) {
    issues.push({
      path: ['policy', 'attestationWindowMs'],
      message: `must be shorter than policy.attestEveryMs (${formatDuration(every)})`,
    });
  }
  return issues;
}

/** attestationIssues as `field: problem` lines. */
export function attestationProblems(request: Pick<LifecycleRequest, 'owner' | 'policy'>): string[] {
  return attestationIssues(request).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** zod issues as `field: problem` lines, the form the CLI prints and the errors carry. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`,
  );
}
