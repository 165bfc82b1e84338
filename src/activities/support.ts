import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WebhookError } from '../notifications';
import { isMarketoApiError } from '../marketo/errors';
import { WORKFLOW_ID_KEY_ENV } from '../security/keyring';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import type { SupportActivities } from './types';

/** The starter's workflow-id key is not the worker's: its workflow ids name other lifecycles than the worker's. */
function workflowIdKeyMismatch(started: string, own: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'WorkflowIdKeyMismatch',
    message:
      `This lifecycle was started with another workflow-id key (fingerprint ${started}) than the worker's ` +
      `(${own}), so the same email gets another workflow id and a second lifecycle would take over the first ` +
      `one's user; nothing was created. Use the same key file (keys.json, or the same ${WORKFLOW_ID_KEY_ENV}) ` +
      'for the CLI and the worker, then onboard again.',
    nonRetryable: true,
  });
}

/** Activities that make no User Management call: the Admin UI stand-in, identity checks, secrets, notifications. */
export function createSupportActivities({
  marketo,
  adminConsole,
  secrets,
  notifier,
  sweep,
  workflowIdKeyFingerprint,
}: ActivityDeps): SupportActivities {
  return {
    checkWorkflowIdKey: (fingerprint) => {
      if (fingerprint === workflowIdKeyFingerprint) return Promise.resolve();
      return Promise.reject(workflowIdKeyMismatch(fingerprint, workflowIdKeyFingerprint));
    },

    getSweepContext: () => classified(async () => ({ selfEmail: (await marketo.getTokenInfo()).scope })),

    managedLifecyclesOf: (emails) => classified(() => sweep.managedLifecyclesOf(emails)),

    firstSeenOf: (userids) => classified(() => sweep.memory.firstSeenOf(userids)),

    currentManagedExpiry: (workflowId) => classified(() => sweep.currentManagedExpiry(workflowId)),

    recordFirstSeen: (userids, at) => classified(() => sweep.memory.recordFirstSeen(userids, at)),

    newIdempotencyKey: () => Promise.resolve(randomUUID()),

    getAdminCapabilities: () =>
      Promise.resolve({
        canCreateRoles: adminConsole.canCreateRoles,
        canCreateServices: adminConsole.canCreateServices,
      }),

    createRole: (input) => classified(() => adminConsole.createRole(input)),

    deleteRole: (roleId) => classified(() => adminConsole.deleteRole(roleId)),

    getRolePermissions: (roleId) => classified(() => adminConsole.rolePermissions(roleId)),

    createCustomService: ({ displayName, description, ownerEmail, secretRef, idempotencyKey }) =>
      classified(async () => {
        const stored = await secrets.get(secretRef);
        const existing = (await adminConsole.listServices(ownerEmail)).filter(
          (s) => s.displayName === displayName,
        );
        // A retry after our credentials were stored: that service is ours and complete.
        const adopted = stored && existing.find((s) => s.clientId === stored.clientId);
        let clientId = adopted?.clientId;
        if (!clientId) {
          // Keyed by the run's own key: an earlier attempt's service comes back with its secret, and an attempt
          // still on its way (timed out here, not yet at the console) makes no second one. Never keyed by anything
          // predictable, or another workflow naming that key would be handed this service.
          const created = await adminConsole.createService({
            displayName,
            description,
            ownerEmail,
            idempotencyKey,
          });
          // Straight into the store: the secret never leaves this activity in a result or a log.
          await secrets.put(secretRef, { clientId: created.clientId, clientSecret: created.clientSecret });
          clientId = created.clientId;
        }
        // Services whose secret, shown once, was lost with an attempt older than the console remembers: unusable.
        // After the store, so a failure here leaves a retry that adopts ours and removes them.
        for (const orphan of existing) {
          if (orphan.clientId !== clientId) await adminConsole.deleteService(orphan.clientId);
        }
        return { clientId };
      }),

    deleteCustomService: (clientId) => classified(() => adminConsole.deleteService(clientId)),

    deleteCustomServicesOf: (ownerEmail) =>
      classified(async () => {
        const deleted: string[] = [];
        for (const service of await adminConsole.listServices(ownerEmail)) {
          // A retry after a partial pass finds some already gone: that is the wanted end state too.
          await adminConsole.deleteService(service.clientId);
          deleted.push(service.clientId);
        }
        return deleted;
      }),

    verifyServiceCredentials: ({ secretRef, clientId, expectedScope }) =>
      classified(async () => {
        const stored = await secrets.get(secretRef);
        if (!stored) return { ok: false, problem: `no credentials are stored under ${secretRef}` };
        if (stored.clientId !== clientId) {
          return {
            ok: false,
            problem: `the stored credentials belong to client id ${stored.clientId}, not ${clientId}`,
          };
        }
        try {
          const token = await marketo.verifyCredentials(stored.clientId, stored.clientSecret);
          if (token.scope.toLowerCase() !== expectedScope.toLowerCase()) {
            return {
              ok: false,
              problem: `the service belongs to ${token.scope}, not to ${expectedScope}: choose that user as its API Only User`,
            };
          }
          return { ok: true };
        } catch (error) {
          if (isMarketoApiError(error) && error.kind === 'invalid_credentials') {
            return {
              ok: false,
              problem: 'Marketo refused the client id and secret: check both under View Details',
            };
          }
          throw error;
        }
      }),

    deleteSecret: (secretRef) => classified(() => secrets.delete(secretRef)),

    notify: (notification) =>
      classified(async () => {
        try {
          await notifier.notify(notification, { attempt: currentAttempt() });
        } catch (error) {
          // Retried until delivered or the deadline the workflow set for this event passes.
          throw ApplicationFailure.create({
            type: 'NotificationFailed',
            message: error instanceof Error ? error.message : String(error),
            nonRetryable: !retryHelps(error),
          });
        }
      }),
  };
}

/** The attempt number inside an activity; 1 when called directly (tests, tools). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** False only when every notifier that failed says trying again cannot help (e.g. an oversized answer). */
function retryHelps(error: unknown): boolean {
  const failures: unknown[] = error instanceof AggregateError ? error.errors : [error];
  return !failures.every((failure) => failure instanceof WebhookError && !failure.retryable);
}
