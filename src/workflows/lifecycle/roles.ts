/**
 * The role step: a role of the requested name is used only as chooseExistingRole allows; otherwise it is created,
 * by software where the instance allows it, else by an operator.
 */
import type { RoleView } from '../../activities/types';
import { chooseExistingRole } from '../../domain/role-choice';
import { invalidInput, roleRefused, stepFailed } from './failures';
import type { Lifecycle } from './lifecycle';
import { awaitOperatorStep, type VerifyCompletion } from './operator-steps';

export function findRole(roles: RoleView[], name: string): RoleView | undefined {
  const wanted = name.trim().toLowerCase();
  return roles.find((r) => r.name.trim().toLowerCase() === wanted);
}

/**
 * A role of the requested name exists: the user would get all of its rights, so it is used only as
 * chooseExistingRole allows (never a system role; a custom one with exactly the requested permissions, checked
 * here where the instance tells them, else confirmed by the operator).
 */
export async function useExistingRole(lc: Lifecycle, role: RoleView): Promise<number> {
  const { marketo, support } = lc.activities;
  const wanted = lc.request.role;
  const permissions =
    role.type?.toLowerCase() === 'custom' ? await support.getRolePermissions(role.id) : null;
  const choice = chooseExistingRole(wanted, { ...role, permissions });
  if (choice.kind === 'refuse') throw roleRefused(choice.problem);
  if (choice.kind === 'reuse') {
    lc.record('role found', `${role.name} (${role.id}), with exactly the requested permissions`);
    return role.id;
  }
  const verify: VerifyCompletion = async (completion) => {
    if (completion.step !== 'confirm-role') return 'expected the role confirmation';
    if (completion.roleId !== role.id) {
      return `role id ${completion.roleId} was confirmed, but the role named "${role.name}" is role id ${role.id}: check that role, then confirm --role-id ${role.id}`;
    }
    const now = findRole(await marketo.listRoles(), wanted.name);
    if (now?.id !== role.id) {
      return `the role named "${wanted.name}" is no longer role id ${role.id}: revoke this onboarding and start it again`;
    }
    return undefined;
  };
  await awaitOperatorStep(lc, 'confirm-role', verify, [], role.id);
  lc.record('role confirmed', `${role.name} (${role.id}): the operator confirmed its permissions`);
  return role.id;
}

async function createRole(lc: Lifecycle): Promise<number> {
  const { marketo, support, supportMustFinish } = lc.activities;
  const { name, permissions } = lc.request.role;
  if (permissions.length === 0) {
    throw invalidInput([
      `role.permissions: the role "${name}" does not exist; give its permissions to create it`,
    ]);
  }
  const description = `API role managed by marketo-api-users`;
  const created = await support.createRole({ name, description, permissions });
  if (created === 'already-exists') {
    // Concurrent onboardings that need the same new role: one makes it, the others use it.
    const appeared = findRole(await marketo.listRoles(), name);
    if (!appeared) {
      throw stepFailed(
        'RoleConflict',
        `Marketo says the role "${name}" exists but does not list it; retry the onboarding.`,
      );
    }
    // Made meanwhile by another onboarding, perhaps with other permissions: the same rules apply.
    return useExistingRole(lc, appeared);
  }
  lc.pushUndo(`role ${created.id}`, async () => supportMustFinish.deleteRole(created.id));
  lc.record('role created', `${created.name} (${created.id})`);
  return created.id;
}

export async function ensureRole(lc: Lifecycle, canCreate: boolean): Promise<number> {
  const { marketo } = lc.activities;
  const name = lc.request.role.name;
  const existing = findRole(await marketo.listRoles(), name);
  if (existing) return useExistingRole(lc, existing);
  if (canCreate) return createRole(lc);
  let roleId = 0;
  await awaitOperatorStep(lc, 'create-role', async () => {
    const role = findRole(await marketo.listRoles(), name);
    if (!role) return `no role named "${name}" in roles.json yet`;
    roleId = role.id;
    return undefined;
  });
  return roleId;
}
