/** The "Access API" permission group of a Marketo role (contract page, section 6). */
export const ACCESS_API_PERMISSIONS = [
  'Approve Assets',
  'Execute Campaign',
  'Activate Campaign',
  'Deactivate Campaign',
  'Access User Management Api',
  'Read-Only Activity',
  'Read-Write Activity',
  'Read-Only Activity Metadata',
  'Read-Write Activity Metadata',
  'Read-Only Assets',
  'Read-Write Assets',
  'Read-Only Campaign',
  'Read-Write Campaign',
  'Read-Only Company',
  'Read-Write Company',
  'Read-Only Custom Object',
  'Read-Write Custom Object',
  'Read-Only Custom Object Type',
  'Read-Write Custom Object Type',
  'Read-Only Lead',
  'Read-Write Lead',
  'Read-Only Person',
  'Read-Write Person',
  'Read-Only Named Account',
  'Read-Write Named Account',
  'Read-Only Named Account List',
  'Read-Write Named Account List',
  'Read-Only Opportunity',
  'Read-Write Opportunity',
  'Read-Only Sales Person',
  'Read-Write Sales Person',
  'Read-Only Redirect Rules',
  'Read-Write Redirect Rules',
  'Read-Write Schema Custom Field',
] as const;

export type AccessApiPermission = (typeof ACCESS_API_PERMISSIONS)[number];

/**
 * The one key that tells whether two permission names are the same permission: names compare without regard to
 * case, and newer Marketo pages call the Lead object "Person", so both spellings name one permission.
 */
export function canonicalPermission(permission: string): string {
  const p = permission.trim().toLowerCase();
  if (p === 'read-only person') return 'read-only lead';
  if (p === 'read-write person') return 'read-write lead';
  return p;
}

/** Whether two lists name the same permissions, whatever their order and spelling. */
export function samePermissions(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map(canonicalPermission));
  const right = new Set(b.map(canonicalPermission));
  return left.size === right.size && [...left].every((p) => right.has(p));
}

/** Each permission named more than once (in either spelling), in Marketo's spelling as given. */
export function repeatedPermissions(permissions: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const permission of permissions) {
    const key = canonicalPermission(permission);
    if (seen.has(key)) repeated.add(permission);
    seen.add(key);
  }
  return [...repeated];
}
