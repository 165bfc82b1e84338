/**
 * Marketo's Admin UI steps that its API cannot do: creating roles and custom services. On a real instance there
 * is no console, and the workflow turns these steps into operator actions instead; on the local sandbox, its
 * `/sandbox/` endpoints stand in for the UI (src/sandbox/admin-console-client.ts).
 */
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
