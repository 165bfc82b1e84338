import { randomUUID } from 'node:crypto';
import type { ActivityDeps } from './deps';
import type { AdminConsoleActivities } from './types';

type ServiceInput = Parameters<AdminConsoleActivities['createCustomService']>[0];

/** Roles and custom services: the Admin UI stand-in (sandbox) or an operator's answers (real Marketo). */
export function createAdminConsoleActivities({
  adminConsole,
  secrets,
}: Pick<ActivityDeps, 'adminConsole' | 'secrets'>): AdminConsoleActivities {
  return {
    newIdempotencyKey: () => Promise.resolve(randomUUID()),

    getAdminCapabilities: () =>
      Promise.resolve({
        canCreateRoles: adminConsole.canCreateRoles,
        canCreateServices: adminConsole.canCreateServices,
      }),

    createRole: (input) => adminConsole.createRole(input),

    deleteRole: (roleId) => adminConsole.deleteRole(roleId),

    getRolePermissions: (roleId) => adminConsole.rolePermissions(roleId),

    createCustomService: (input) => createCustomService({ adminConsole, secrets }, input),

    deleteCustomService: (clientId) => adminConsole.deleteService(clientId),

    deleteCustomServicesOf: async (ownerEmail) => {
      const deleted: string[] = [];
      for (const service of await adminConsole.listServices(ownerEmail)) {
        // A retry after a partial pass finds some already gone: that is the wanted end state too.
        await adminConsole.deleteService(service.clientId);
        deleted.push(service.clientId);
      }
      return deleted;
    },
  };
}

async function createCustomService(
  { adminConsole, secrets }: Pick<ActivityDeps, 'adminConsole' | 'secrets'>,
  { displayName, description, ownerEmail, secretRef, idempotencyKey }: ServiceInput,
): Promise<{ clientId: string }> {
  const stored = await secrets.get(secretRef);
  const existing = (await adminConsole.listServices(ownerEmail)).filter((s) => s.displayName === displayName);
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
}
