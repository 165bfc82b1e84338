/**
 * Helpers shared by the lifecycle tests and the history recorder: workers with altered dependencies (to make
 * a step fail for good without touching src/), the sandbox's operator endpoints over HTTP, and waiting on a
 * lifecycle's status.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { LifecycleStatus } from '../../src/domain/lifecycle-status';
import type { AccessApiPermission } from '../../src/domain/permissions';
import { ownSecretRefPrefix } from '../../src/domain/secret-refs';
import { AdminConsoleError, operatorOnlyConsole, type AdminConsole } from '../../src/marketo/admin-console';
import { sandboxAdminConsole } from '../../src/sandbox/admin-console-client';
import { OPERATOR_HEADER, type RunningSandbox } from '../../src/sandbox';
import type { SecretStore, StoredServiceCredentials } from '../../src/security/secret-store';
import { completeOperatorStepUpdate, statusQuery } from '../../src/workflows/messages';
import { eventually, type Harness } from '../helpers/lifecycle-harness';

/** Runs `body` with workers of the harness's task queue whose dependencies are the harness's, changed by `change`. */
export async function withAlteredWorkers<T>(
  env: TestWorkflowEnvironment,
  h: Harness,
  change: (deps: ActivityDeps) => ActivityDeps,
  body: () => Promise<T>,
): Promise<T> {
  // The console by the sandbox's mode, whatever the harness was given: a change starts from the product's default.
  const adminConsole =
    h.sandbox.mode === 'real-like'
      ? operatorOnlyConsole
      : sandboxAdminConsole(h.sandbox.baseUrl, h.sandbox.adminToken);
  return h.withWorkers(body, { connection: env.nativeConnection, deps: change({ ...h.deps, adminConsole }) });
}

/** The sandbox's admin console, except that LaunchPoint refuses every new custom service for good. */
export function consoleRefusingServices(sandbox: RunningSandbox, reason: string): AdminConsole {
  const real = sandboxAdminConsole(sandbox.baseUrl, sandbox.adminToken);
  return {
    ...real,
    createService: () => Promise.reject(new AdminConsoleError(reason, 400, false)),
  };
}

/**
 * A secret store that garbles every secret it is given: the service gets created, but its credentials never
 * verify (as if the secret were copied wrong).
 */
export function garblingSecretStore(inner: SecretStore): SecretStore {
  return {
    put: (ref: string, value: StoredServiceCredentials) =>
      inner.put(ref, { clientId: value.clientId, clientSecret: `${value.clientSecret}-garbled` }),
    get: (ref: string) => inner.get(ref),
    delete: (ref: string) => inner.delete(ref),
  };
}

/**
 * One call to the sandbox's `/sandbox/*` endpoints with its admin token, as the operator (with real-like mode's
 * operator header) or as the product would (without it).
 */
export async function sandboxCall(
  sandbox: RunningSandbox,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  asOperator = true,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${sandbox.adminToken}` };
  if (asOperator) headers[OPERATOR_HEADER] = 'true';
  if (method !== 'GET') headers['content-type'] = 'application/json';
  const response = await fetch(`${sandbox.baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/** Polls the status query until `predicate` holds; returns that status. */
export function statusWhen(
  handle: WorkflowHandle,
  predicate: (s: LifecycleStatus) => boolean,
  timeoutMs = 20_000,
): Promise<LifecycleStatus> {
  return eventually(async () => {
    const s = await handle.query(statusQuery);
    return predicate(s) ? s : undefined;
  }, timeoutMs);
}

/** The value after `label: ` in an operator instruction line, e.g. `Role Name: X` → `X`. */
export function instructionValue(instructions: string[], label: string): string {
  const line = instructions.find((l) => l.startsWith(`${label}: `));
  if (line === undefined) throw new Error(`no "${label}:" line in instructions: ${instructions.join(' | ')}`);
  return line.slice(label.length + 2);
}

/** The `undone` timeline entries, in timeline order (the order compensation ran in). */
export function undoneSteps(status: LifecycleStatus): string[] {
  return status.timeline.filter((e) => e.event === 'undone').map((e) => e.detail ?? '');
}

/** The seeded custom role 101 with exactly its permissions (src/sandbox/seed.ts): the only way to reuse it. */
export const ANALYTICS_USER_ROLE: { name: string; permissions: AccessApiPermission[]; workspace: number } = {
  name: 'Analytics User',
  permissions: ['Read-Only Activity', 'Read-Only Activity Metadata', 'Read-Only Campaign', 'Read-Only Lead'],
  workspace: 0,
};

/**
 * On a real-like instance an existing role waits until the operator confirms its permissions (roles.json lists
 * none): plays that operator, with the role id the instructions name; returns the status after.
 */
export async function confirmExistingRole(handle: WorkflowHandle): Promise<LifecycleStatus> {
  const waiting = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'confirm-role');
  const line = waiting.pendingOperatorAction!.instructions.find((l) => / --role-id \d+$/.test(l)) ?? '';
  const roleId = Number(/ --role-id (\d+)$/.exec(line)?.[1]);
  assert.ok(
    Number.isInteger(roleId),
    `no role id in: ${waiting.pendingOperatorAction!.instructions.join(' | ')}`,
  );
  const done = await handle.executeUpdate(completeOperatorStepUpdate, {
    args: [{ step: 'confirm-role', roleId }],
  });
  assert.equal(done.verified, true, done.problem);
  return done.status;
}

const operatorServiceSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });
export type OperatorService = z.infer<typeof operatorServiceSchema>;

/** Plays the operator in LaunchPoint: makes the custom service the instructions describe; answers its credentials. */
export async function createServiceAsOperator(
  sandbox: RunningSandbox,
  instructions: string[],
): Promise<OperatorService> {
  const created = await sandboxCall(sandbox, 'POST', '/sandbox/services', {
    displayName: instructionValue(instructions, 'Display Name'),
    description: instructionValue(instructions, 'Description'),
    email: instructionValue(instructions, 'API Only User'),
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return operatorServiceSchema.parse(created.json);
}

/**
 * Onboards `handle`'s lifecycle on a real-like sandbox as the operator would (an existing role confirmed, the
 * service made in LaunchPoint and its secret stored in the lifecycle's own folder); answers the active status.
 */
export async function onboardAsOperator(h: Harness, handle: WorkflowHandle): Promise<LifecycleStatus> {
  await confirmExistingRole(handle);
  const step = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
  const service = await createServiceAsOperator(h.sandbox, step.pendingOperatorAction!.instructions);
  const secretRef = `${ownSecretRefPrefix(handle.workflowId)}operator-service`;
  await h.secrets.put(secretRef, service);
  const done = await handle.executeUpdate(completeOperatorStepUpdate, {
    args: [{ step: 'create-service', clientId: service.clientId, secretRef }],
  });
  assert.equal(done.verified, true, done.problem);
  return statusWhen(handle, (s) => s.phase === 'active');
}
