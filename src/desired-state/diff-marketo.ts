/**
 * The plan's decisions that need Marketo's side, pure: who may never be touched (the orchestrator's own user,
 * holders of system roles), what adopting a hand-made user changes, and the operator steps of a change on an
 * instance whose admin console software cannot work.
 */
import { formatDuration } from '../domain/durations';
import { serviceDisplayName } from '../domain/lifecycle-request';
import type { DesiredUser } from './file-schema';
import type { MarketoReading, MarketoUserSeen } from './marketo-reading';
import type { PlannedAction } from './plan-schema';

export function userSeen(reading: MarketoReading, email: string): MarketoUserSeen | undefined {
  const wanted = email.toLowerCase();
  return reading.users.find((u) => u.email === wanted);
}

const roleNamed = (reading: MarketoReading, name: string) =>
  reading.roles.find((r) => r.name.trim().toLowerCase() === name.trim().toLowerCase());

function roleNamesOf(reading: MarketoReading, user: MarketoUserSeen): string[] {
  const ids = [...new Set((user.detail?.roles ?? []).map((r) => r.accessRoleId))];
  return ids.map((id) => reading.roles.find((r) => r.id === id)?.name ?? `role id ${id}`);
}

/** Why no apply may touch this user, found in Marketo; undefined when nothing protects it. */
export function protectedInMarketo(reading: MarketoReading, email: string): string | undefined {
  if (email.toLowerCase() === reading.selfEmail) {
    return "is this product's own API-only user (its custom service's client id is the one the product authenticates with)";
  }
  const user = userSeen(reading, email);
  const system = (user?.detail?.roles ?? [])
    .map((pair) => reading.roles.find((r) => r.id === pair.accessRoleId))
    .filter((role) => role?.type?.toLowerCase() === 'system')
    .map((role) => role!.name);
  if (system.length) return `holds the system role ${[...new Set(system)].join(', ')} in Marketo`;
  return undefined;
}

function roleChange(reading: MarketoReading, user: MarketoUserSeen, entry: DesiredUser): string | undefined {
  const held = roleNamesOf(reading, user);
  const wanted = entry.role.name;
  const same = (name: string) => name.trim().toLowerCase() === wanted.trim().toLowerCase();
  if (held.length === 1 && same(held[0]!)) return undefined;
  if (!held.length) return `role none → ${wanted}`;
  const other = held.filter((name) => !same(name));
  return (
    `role ${held.join(', ')} → ${wanted}: the user holds ${other.join(', ')}, which the file does not name; ` +
    `adopting removes it, and whatever uses this user loses its rights`
  );
}

/** What adopting changes on `user`, one phrase each; `expiresAt` undefined means a lifetime from the apply. */
export function adoptChanges(
  reading: MarketoReading,
  user: MarketoUserSeen,
  entry: DesiredUser,
  expiresAt: string | undefined,
): string[] {
  const detail = user.detail!;
  const changes: string[] = [];
  const names = (f: string, l: string) => JSON.stringify(`${f} ${l}`);
  if (detail.firstName !== entry.firstName || detail.lastName !== entry.lastName)
    changes.push(
      `names ${names(detail.firstName, detail.lastName)} → ${names(entry.firstName, entry.lastName)}`,
    );
  const role = roleChange(reading, user, entry);
  if (role) changes.push(role);
  const until = expiresAt ?? `${formatDuration(entry.lifetime!)} from this apply`;
  changes.push(`expiry ${detail.expiresAt ?? 'never'} → ${until}`);
  if (detail.isLocked) {
    changes.push(
      `locked now (${detail.lockedReason ?? 'no reason given'}): the new expiry lifts an expiry lock; ` +
        'a lock for another reason stays until an admin unlocks the user, and the adoption then fails and is undone',
    );
  }
  changes.push(
    'a new custom service and credentials for the lifecycle; the services the user has now are kept, and stop working when the lifecycle locks the user',
  );
  return changes;
}

const COMPLETE = 'then run: marketo-api-users complete-step';

function roleSteps(reading: MarketoReading, entry: DesiredUser): string[] {
  if (reading.canCreateRoles) return [];
  const { name, permissions } = entry.role;
  const existing = roleNamed(reading, name);
  if (existing) {
    return [
      `confirm role "${existing.name}" (id ${existing.id}) in Admin > Users & Roles > Roles has exactly: ${permissions.join(', ') || '(the permissions the integration needs)'}; ` +
        `${COMPLETE} ${entry.email} --step confirm-role --role-id ${existing.id}`,
    ];
  }
  return [
    `create role "${name}" in Admin > Users & Roles > Roles > New Role with permissions: ${permissions.join(', ') || '(none given: the lifecycle will refuse)'} ` +
      `(once for every user of this role); ${COMPLETE} ${entry.email} --step create-role`,
  ];
}

function serviceSteps(reading: MarketoReading, entry: DesiredUser, kind: PlannedAction['kind']): string[] {
  if (reading.canCreateServices) return [];
  const earlier =
    kind === 'replace'
      ? [`delete the earlier lifecycle's custom service of ${entry.email} in Admin > LaunchPoint`]
      : [];
  return [
    ...earlier,
    `create custom service "${serviceDisplayName(entry)}" for API-only user ${entry.email} in Admin > LaunchPoint > New Service (Custom); ` +
      `${COMPLETE} ${entry.email} --step create-service --client-id <Client Id> --secret-file <file>`,
  ];
}

/** The admin-console steps a person takes for this change; empty where software works the console. */
export function operatorStepsFor(
  reading: MarketoReading,
  entry: DesiredUser,
  kind: PlannedAction['kind'],
): string[] {
  if (kind !== 'create' && kind !== 'adopt' && kind !== 'replace') return [];
  return [...roleSteps(reading, entry), ...serviceSteps(reading, entry, kind)];
}
