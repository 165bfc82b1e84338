/**
 * Marketo's Admin UI steps that its API cannot do: creating roles and custom services. On the local sandbox,
 * its `/sandbox/` endpoints stand in for the UI; on a real instance there is no console, and the workflow turns
 * these steps into operator actions instead.
 */
import { z } from 'zod';

export interface AdminConsole {
  readonly canCreateRoles: boolean;
  readonly canCreateServices: boolean;
  createRole(input: {
    name: string;
    description: string;
    permissions: string[];
  }): Promise<{ id: number; name: string } | 'already-exists'>;
  deleteRole(roleId: number): Promise<'deleted' | 'gone' | 'in-use'>;
  /**
   * The role's permissions, as Admin > Users & Roles shows them; null where software cannot see them (a real
   * instance: roles.json lists none), so that a person must confirm them.
   */
  rolePermissions(roleId: number): Promise<string[] | null>;
  /**
   * `idempotencyKey`: a repeated creation with the same key (a retry whose answer was lost, or a late first attempt)
   * answers with the first service instead of making another.
   */
  createService(input: {
    displayName: string;
    description: string;
    ownerEmail: string;
    idempotencyKey: string;
  }): Promise<{ clientId: string; clientSecret: string }>;
  /** The services one API-only user owns. */
  listServices(ownerEmail: string): Promise<{ clientId: string; displayName: string; ownerEmail: string }[]>;
  deleteService(clientId: string): Promise<'deleted' | 'gone'>;
}

export class AdminConsoleError extends Error {
  override readonly name = 'AdminConsoleError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A real Marketo instance: nothing can be created by software. */
export const operatorOnlyConsole: AdminConsole = {
  canCreateRoles: false,
  canCreateServices: false,
  createRole: () =>
    Promise.reject(new AdminConsoleError('Roles are created by an operator on a real instance.', 0, false)),
  deleteRole: () => Promise.resolve('in-use'),
  rolePermissions: () => Promise.resolve(null),
  createService: () =>
    Promise.reject(
      new AdminConsoleError('Custom services are created by an operator on a real instance.', 0, false),
    ),
  listServices: () => Promise.resolve([]),
  deleteService: () => Promise.resolve('gone'),
};

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
