/**
 * `list` from visibility alone: one ListWorkflowExecutions call per page, filtered by the search attributes the
 * lifecycles keep up to date, the email decoded from the memo. No lifecycle is asked anything, so no worker
 * replays a history for it. Filters are validated and quoted: no user text reaches the query unescaped.
 */
import type { WorkflowClient, WorkflowExecutionInfo } from '@temporalio/client';
import { visibilityPages, type VisibleExecution } from './visibility-pages';
import { z } from 'zod';
import { durationMsSchema } from './domain/durations';
import { lifecyclePhaseSchema, type LifecyclePhase } from './domain/lifecycle-status';
import { statusQuery } from './workflows/messages';
import {
  EMAIL_MEMO_FIELD,
  MauExpiresAt,
  MauPhase,
  MauRole,
  OWNER_MEMO_FIELD,
  TICKET_MEMO_FIELD,
} from './domain/search-attributes';

export const listFilterSchema = z
  .object({
    phase: lifecyclePhaseSchema.optional(),
    /** Expiring within this much of now (`14d`): an expiry already past but not yet acted on counts too. */
    expiringWithin: durationMsSchema.optional(),
    role: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    limit: z.number().int('must be a whole number').min(1).max(100_000).optional(),
  })
  .strict();
export type ListFilterInput = z.input<typeof listFilterSchema>;
export type ListFilter = z.output<typeof listFilterSchema>;

export interface LifecycleSummary {
  workflowId: string;
  email: string | null;
  phase: LifecyclePhase | 'unknown';
  expiresAt: string | null;
  workflowStatus: string;
  startedAt: string;
  /** Who vouches for the access, and its ticket: from the memo, absent when the lifecycle has none. */
  owner?: string;
  ticket?: string;
}

/**
 * A string literal of Temporal's visibility query language: in single quotes, with backslash and quote
 * escaped. Control characters never reach here (role names refuse them), but are refused all the same.
 */
export function queryLiteral(text: string): string {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) throw new Error('a query literal must not hold control characters');
  }
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * Visibility's SQL store did not match a keyword holding a backslash or a double quote however escaped (seen on
 * the dev server; a single quote matches): for such a name, the query narrows by the prefix before the first of
 * them and the exact name is compared on the client (`roleMatches`).
 */
const UNMATCHABLE = /["\\]/;

function roleClauses(role: string): string[] {
  const cut = role.search(UNMATCHABLE);
  if (cut === -1) return [`${MauRole.name} = ${queryLiteral(role)}`];
  return cut === 0 ? [] : [`${MauRole.name} STARTS_WITH ${queryLiteral(role.slice(0, cut))}`];
}

function roleMatches(filter: ListFilter, execution: VisibleExecution): boolean {
  return filter.role === undefined || execution.typedSearchAttributes.get(MauRole) === filter.role;
}

export function listQuery(filter: ListFilter, nowMs: number): string {
  // A run that continued as new left its attributes as they were then: only its successor is current.
  const clauses = [`WorkflowType = 'lifecycleWorkflow'`, `ExecutionStatus != 'ContinuedAsNew'`];
  if (filter.phase) clauses.push(`${MauPhase.name} = ${queryLiteral(filter.phase)}`);
  if (filter.role !== undefined) clauses.push(...roleClauses(filter.role));
  if (filter.expiringWithin !== undefined) {
    const bound = new Date(nowMs + filter.expiringWithin).toISOString();
    clauses.push(`${MauExpiresAt.name} <= ${queryLiteral(bound)}`);
  }
  return clauses.join(' AND ');
}

function summaryOf(execution: VisibleExecution): LifecycleSummary {
  const email = execution.memo[EMAIL_MEMO_FIELD];
  const owner = execution.memo[OWNER_MEMO_FIELD];
  const ticket = execution.memo[TICKET_MEMO_FIELD];
  const phase = lifecyclePhaseSchema.safeParse(execution.typedSearchAttributes.get(MauPhase));
  const expiresAt = execution.typedSearchAttributes.get(MauExpiresAt);
  return {
    workflowId: execution.workflowId,
    email: typeof email === 'string' ? email : null,
    phase: phase.success ? phase.data : 'unknown',
    expiresAt: expiresAt ? expiresAt.toISOString() : null,
    workflowStatus: execution.status,
    startedAt: execution.startTime.toISOString(),
    ...(typeof owner === 'string' ? { owner } : {}),
    ...(typeof ticket === 'string' ? { ticket } : {}),
  };
}

/** Newest first, the latest run of each lifecycle only, at most `limit`. */
export async function listFromVisibility(
  workflows: WorkflowClient,
  filter: ListFilter,
  nowMs = Date.now(),
): Promise<LifecycleSummary[]> {
  const summaries: LifecycleSummary[] = [];
  const seen = new Set<string>();
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  // Visibility answers newest first, so the first run seen of a workflow id is its latest (continue-as-new and
  // re-onboarding leave older runs, whose attributes are stale).
  const pages = visibilityPages(workflows, {
    query: listQuery(filter, nowMs),
    pageSize: 1000,
    memoFields: [EMAIL_MEMO_FIELD, OWNER_MEMO_FIELD, TICKET_MEMO_FIELD],
  });
  for await (const page of pages) {
    for (const execution of page) {
      if (seen.has(execution.workflowId)) continue;
      seen.add(execution.workflowId);
      if (!roleMatches(filter, execution)) continue;
      summaries.push(summaryOf(execution));
      if (summaries.length >= limit) return summaries;
    }
  }
  return summaries;
}

/**
 * How `list` answered before search attributes: every run from visibility, then a status Query to the latest run
 * of each (a workflow task each, a replay for any not in a worker's cache). Kept for the bench's comparison.
 */
export async function listByStatusQueries(workflows: WorkflowClient): Promise<LifecycleSummary[]> {
  const latest = new Map<string, WorkflowExecutionInfo>();
  for await (const e of workflows.list({ query: `WorkflowType = 'lifecycleWorkflow'` })) {
    const seen = latest.get(e.workflowId);
    if (!seen || seen.startTime < e.startTime) latest.set(e.workflowId, e);
  }
  const summaries: LifecycleSummary[] = [];
  for (const e of latest.values()) {
    const status = await workflows
      .getHandle(e.workflowId, e.runId)
      .query(statusQuery)
      .catch(() => undefined);
    summaries.push({
      workflowId: e.workflowId,
      email: status?.email ?? null,
      phase: status?.phase ?? 'unknown',
      expiresAt: status?.expiresAt ?? null,
      workflowStatus: e.status.name,
      startedAt: e.startTime.toISOString(),
    });
  }
  return summaries.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
