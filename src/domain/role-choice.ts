/**
 * Whether an onboarding may use a role that already exists in Marketo. An API-only user gets every permission
 * of its role, so a matching name alone must never decide: Marketo's system roles (Admin among them, with User
 * Management rights) are never given, and a custom role only when its permissions are exactly the requested
 * ones. Pure and deterministic: the workflow calls it.
 */
import { samePermissions } from './permissions';

export interface ExistingRole {
  id: number;
  name: string;
  /** roles.json's `type` ("system" or "custom"); null when the instance does not say. */
  type: string | null;
  /** The role's permissions where the instance tells them (the sandbox's console); null on a real instance. */
  permissions: readonly string[] | null;
}

export interface RequestedRole {
  name: string;
  permissions: readonly string[];
}

export type RoleChoice =
  | { kind: 'reuse'; roleId: number }
  /** Nothing here can tell the role's permissions: an operator must confirm them before it is used. */
  | { kind: 'confirm'; roleId: number }
  /** `problem` is `field: what is wrong: what to do`, one line without a semicolon (which separates problems). */
  | { kind: 'refuse'; problem: string };

/** The failure type of a refused role, for callers that tell it from other failures. */
export const ROLE_REFUSED = 'RoleRefused';

const listed = (permissions: readonly string[]): string =>
  permissions.length ? [...permissions].sort().join(', ') : 'none';

export function chooseExistingRole(requested: RequestedRole, existing: ExistingRole): RoleChoice {
  const { id, name } = existing;
  if (existing.type?.toLowerCase() === 'system') {
    return {
      kind: 'refuse',
      problem:
        `role.name: "${name}" is a Marketo system role (id ${id}), never given to an API-only user: ` +
        'choose another role name (a role of that name is then made with exactly the requested permissions)',
    };
  }
  if (existing.type?.toLowerCase() !== 'custom') {
    return {
      kind: 'refuse',
      problem:
        `role.name: "${name}" (id ${id}) is not a custom role by what roles.json says, and only a custom role's ` +
        'permissions can be checked: choose another role name',
    };
  }
  if (existing.permissions === null) {
    if (requested.permissions.length === 0) {
      return {
        kind: 'refuse',
        problem:
          `role.permissions: the role "${name}" (id ${id}) exists and this instance does not list its permissions: ` +
          'request exactly its permissions so that an operator can confirm them, or choose another role name',
      };
    }
    return { kind: 'confirm', roleId: id };
  }
  if (!samePermissions(requested.permissions, existing.permissions)) {
    return {
      kind: 'refuse',
      problem:
        `role.name: the existing custom role "${name}" (id ${id}) has the permissions ${listed(existing.permissions)}, ` +
        `not the requested ${listed(requested.permissions)}: choose another role name, or request exactly its permissions`,
    };
  }
  return { kind: 'reuse', roleId: id };
}
