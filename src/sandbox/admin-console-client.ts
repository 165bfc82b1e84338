/**
 * The client of the sandbox's `/sandbox/` admin endpoints, which stand in for Marketo's Admin UI where its API
 * cannot create roles and custom services. A real instance has no such console (src/marketo/admin-console.ts).
 */
import { z } from 'zod';
import { AdminConsoleError, type AdminConsole } from '../marketo/admin-console';

const roleSchema = z.object({ id: z.number(), name: z.string() }).loose();
const roleWithPermissionsSchema = z
  .object({ id: z.number(), permissions: z.array(z.string().max(200)).max(500) })
  .loose();
const createdServiceSchema = z.object({ clientId: z.string(), clientSecret: z.string() }).loose();
const serviceListSchema = z.array(
  z.object({ clientId: z.string(), displayName: z.string(), ownerEmail: z.string() }).loose(),
);

/**
 * The sandbox's admin endpoints, used only in its automatic mode (real-like mode refuses them). `adminToken` is
 * the sandbox's (`RunningSandbox.adminToken`, or what `npm run sandbox` wrote): every call sends it, and JSON.
 */
export function sandboxAdminConsole(
  baseUrl: string,
  adminToken: string,
  fetchImpl: typeof fetch = fetch,
): AdminConsole {
  const root = baseUrl.replace(/\/+$/, '');
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown }> {
    let response: Response;
    // The sandbox takes JSON only on POST and DELETE, a body or not (a browser cannot send that cross-site).
    const sent: Record<string, string> = { authorization: `Bearer ${adminToken}`, ...headers };
    if (method !== 'GET') sent['content-type'] = 'application/json';
    try {
      response = await fetchImpl(`${root}${path}`, {
        method,
        headers: sent,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new AdminConsoleError(
        `The sandbox did not answer ${method} ${path}: ${(error as Error).message}`,
        0,
        true,
      );
    }
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }
  function fail(what: string, status: number, json: unknown): never {
    const detail = JSON.stringify(json ?? null).slice(0, 300);
    throw new AdminConsoleError(
      `${what} failed with HTTP ${status}: ${detail}`,
      status,
      status >= 500 || status === 429,
    );
  }
  return {
    canCreateRoles: true,
    canCreateServices: true,
    async createRole(input) {
      const { status, json } = await call('POST', '/sandbox/roles', input);
      // Another onboarding made the same role a moment ago (or our own earlier attempt whose answer was lost).
      if (status === 409) return 'already-exists';
      if (status !== 200 && status !== 201) fail('Creating the role', status, json);
      return roleSchema.parse(json);
    },
    async deleteRole(roleId) {
      const { status, json } = await call('DELETE', `/sandbox/roles/${roleId}`);
      if (status === 200 || status === 204) return 'deleted';
      if (status === 404) return 'gone';
      if (status === 409) return 'in-use';
      return fail('Deleting the role', status, json);
    },
    async rolePermissions(roleId) {
      const { status, json } = await call('GET', `/sandbox/roles/${roleId}`);
      if (status === 404) {
        throw new AdminConsoleError(
          `Role ${roleId} disappeared while the onboarding looked at it; retry the onboarding.`,
          404,
          false,
        );
      }
      if (status !== 200) fail('Reading the role', status, json);
      return roleWithPermissionsSchema.parse(json).permissions;
    },
    async createService(input) {
      const { status, json } = await call(
        'POST',
        '/sandbox/services',
        { displayName: input.displayName, description: input.description, email: input.ownerEmail },
        { 'idempotency-key': input.idempotencyKey },
      );
      if (status !== 200 && status !== 201) fail('Creating the custom service', status, json);
      return createdServiceSchema.parse(json);
    },
    async listServices(ownerEmail) {
      const { status, json } = await call('GET', `/sandbox/services?email=${encodeURIComponent(ownerEmail)}`);
      if (status !== 200) fail('Listing custom services', status, json);
      return serviceListSchema.parse(json);
    },
    async deleteService(clientId) {
      const { status, json } = await call('DELETE', `/sandbox/services/${encodeURIComponent(clientId)}`);
      if (status === 200 || status === 204) return 'deleted';
      if (status === 404) return 'gone';
      return fail('Deleting the custom service', status, json);
    },
  };
}
