import type { RoleRecord, UserRecord, WorkspaceRecord } from './model';

/** Objects that the "Access API" group grants Read-Only / Read-Write permissions on (contract section 6). */
const API_OBJECTS = [
  'Activity',
  'Activity Metadata',
  'Assets',
  'Campaign',
  'Company',
  'Custom Object',
  'Custom Object Type',
  'Lead',
  'Named Account',
  'Named Account List',
  'Opportunity',
  'Sales Person',
  'Redirect Rules',
] as const;

export const ACCESS_USER_MANAGEMENT_API = 'Access User Management Api';
export const ACCESS_USERS = 'Access Users';
export const ACCESS_ROLES = 'Access Roles';

export const ACCESS_API_PERMISSIONS: readonly string[] = [
  'Approve Assets',
  'Execute Campaign',
  'Activate Campaign',
  'Deactivate Campaign',
  ACCESS_USER_MANAGEMENT_API,
  ...API_OBJECTS.flatMap((object) => [`Read-Only ${object}`, `Read-Write ${object}`]),
  'Read-Write Schema Custom Field',
];

export const ADMIN_GROUP_PERMISSIONS: readonly string[] = [ACCESS_USERS, ACCESS_ROLES];

export const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set([
  ...ACCESS_API_PERMISSIONS,
  ...ADMIN_GROUP_PERMISSIONS,
]);

/**
 * Newer Marketo pages call the Lead object "Person"; both spellings name one permission, so the sandbox
 * stores the older one and a role made with either spelling grants the same thing.
 */
export function canonicalPermission(name: string): string {
  return name.replace(/^(Read-Only|Read-Write) Person$/, '$1 Lead');
}

export const ORCHESTRATOR_USERID = 'orchestrator@sandbox.local';
export const ORCHESTRATOR_ROLE_NAME = 'API User Management';
export const ALL_ZONES_WORKSPACE_ID = 0;
export const SUBSCRIPTION_ID = '000-SBX-000';
/** Custom roles made through `/sandbox/roles` are numbered from here on. */
export const FIRST_OPERATOR_ROLE_ID = 1000;
export const FIRST_USER_ID = 1001;

export function seedRoles(at: number): RoleRecord[] {
  const role = (
    id: number,
    name: string,
    description: string,
    type: 'system' | 'custom',
    permissions: readonly string[],
    onlyAllZones = false,
  ): RoleRecord => ({
    id,
    name,
    description,
    type,
    hidden: false,
    onlyAllZones,
    permissions: [...permissions],
    createdAt: at,
    updatedAt: at,
  });
  return [
    role(
      1,
      'Admin',
      'Default Admin role',
      'system',
      [...ACCESS_API_PERMISSIONS, ...ADMIN_GROUP_PERMISSIONS],
      true,
    ),
    role(2, 'Standard User', 'Default Standard User role', 'system', []),
    role(24, 'RTP Launcher', 'Web Personalization launcher', 'system', []),
    role(25, 'RTP Editor', 'Web Personalization editor', 'system', []),
    role(101, 'Analytics User', 'Reads activity and campaign data', 'custom', [
      'Read-Only Activity',
      'Read-Only Activity Metadata',
      'Read-Only Campaign',
      'Read-Only Lead',
    ]),
    role(102, 'Marketing User', 'Runs campaigns and edits assets', 'custom', [
      'Read-Write Assets',
      'Read-Write Campaign',
      'Read-Write Lead',
      'Execute Campaign',
      'Activate Campaign',
      'Deactivate Campaign',
    ]),
    role(103, 'Web Designer', 'Edits and approves assets', 'custom', ['Read-Write Assets', 'Approve Assets']),
    role(104, ORCHESTRATOR_ROLE_NAME, 'Lets a custom service manage API-only users', 'custom', [
      ACCESS_USER_MANAGEMENT_API,
      ACCESS_USERS,
    ]),
  ];
}

export function seedWorkspaces(at: number): WorkspaceRecord[] {
  return [
    {
      id: ALL_ZONES_WORKSPACE_ID,
      name: 'AllZones',
      description: 'Every workspace',
      globalViz: 0,
      currencyInfo: 'USD',
      createdAt: at,
      updatedAt: at,
    },
    {
      id: 1008,
      name: 'World',
      description: 'Default workspace',
      globalViz: 0,
      currencyInfo: 'USD',
      createdAt: at,
      updatedAt: at,
    },
  ];
}

export function seedOrchestrator(at: number): UserRecord {
  return {
    id: FIRST_USER_ID,
    userid: ORCHESTRATOR_USERID,
    emailAddress: ORCHESTRATOR_USERID,
    firstName: 'Sandbox',
    lastName: 'Orchestrator',
    apiOnly: true,
    status: 'active',
    roles: [{ accessRoleId: 104, workspaceId: ALL_ZONES_WORKSPACE_ID }],
    expiresAt: null,
    expiresAtSetAt: null,
    pastLocks: [],
    reason: 'Owns the sandbox admin service',
    origin: 'builtin',
    createdAt: at,
    updatedAt: at,
    lastLoginAt: null,
  };
}
