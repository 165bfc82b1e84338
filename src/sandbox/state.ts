import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  LOCKED_FOR_EXPIRY,
  type RoleRecord,
  type RoleWorkspacePair,
  type ServiceRecord,
  type TokenRecord,
  type UserOrigin,
  type UserRecord,
  type WorkspaceRecord,
} from './model';
import {
  ACCESS_USER_MANAGEMENT_API,
  ACCESS_USERS,
  FIRST_OPERATOR_ROLE_ID,
  FIRST_USER_ID,
  ORCHESTRATOR_USERID,
  seedOrchestrator,
  seedRoles,
  seedWorkspaces,
} from './seed';
import type { PersistedState } from './persistence';

export interface LockState {
  isLocked: boolean;
  lockedReason: string | null;
  lockedAt: number | null;
}

export interface NewUser {
  userid: string;
  emailAddress: string;
  firstName: string;
  lastName: string;
  apiOnly: boolean;
  roles: RoleWorkspacePair[];
  expiresAt: number | null;
  reason: string | null;
  origin: UserOrigin;
}

export interface UserPatch {
  emailAddress?: string;
  firstName?: string;
  lastName?: string;
  expiresAt?: number;
  apiOnly?: boolean;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function secretMatches(secret: string, expectedSha256: string): boolean {
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  const expected = Buffer.from(expectedSha256, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function generateClientId(): string {
  return randomUUID();
}

export function generateClientSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** userids and emails are addresses: Marketo matches them without regard to case. */
function lookupKey(text: string): string {
  return text.toLowerCase();
}

/**
 * The whole Marketo instance the sandbox pretends to be. Every mutation goes through a method here so
 * that persistence hears about it; validation happens before a method is called, so a method that
 * starts also finishes and nothing half-applied is ever stored.
 */
export class SandboxStore {
  readonly roles = new Map<number, RoleRecord>();
  readonly workspaces = new Map<number, WorkspaceRecord>();
  /** Insertion order is id order, which is the order `allusers.json` pages through. */
  readonly users = new Map<number, UserRecord>();
  readonly services = new Map<string, ServiceRecord>();
  /** Tokens live in memory only: a restart invalidates them, and clients re-authenticate on 601. */
  readonly tokens = new Map<string, TokenRecord>();
  readonly currentTokenByClientId = new Map<string, string>();
  adminClientId = '';
  adminClientSecret = '';
  private nextUserId = FIRST_USER_ID;
  private nextRoleId = FIRST_OPERATOR_ROLE_ID;
  private readonly usersByUserid = new Map<string, UserRecord>();
  private readonly usersByEmail = new Map<string, UserRecord>();

  constructor(
    readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  /** A fresh instance: seeded roles, workspaces, the orchestrator and its admin service. */
  seedFresh(adminClientId: string, adminClientSecret: string): void {
    const at = this.now();
    for (const role of seedRoles(at)) this.roles.set(role.id, role);
    for (const workspace of seedWorkspaces(at)) this.workspaces.set(workspace.id, workspace);
    const orchestrator = seedOrchestrator(at);
    this.indexUser(orchestrator);
    this.nextUserId = orchestrator.id + 1;
    this.services.set(adminClientId, {
      clientId: adminClientId,
      clientSecretSha256: sha256Hex(adminClientSecret),
      displayName: 'Sandbox admin',
      description: 'Custom service of the sandbox orchestrator; its credentials are the admin credentials',
      ownerUserId: orchestrator.id,
      isAdmin: true,
      createdAt: at,
    });
    this.adminClientId = adminClientId;
    this.adminClientSecret = adminClientSecret;
    this.onChange();
  }

  loadPersisted(persisted: PersistedState): void {
    for (const role of persisted.roles) this.roles.set(role.id, role);
    for (const workspace of persisted.workspaces) this.workspaces.set(workspace.id, workspace);
    for (const user of [...persisted.users].sort((a, b) => a.id - b.id)) this.indexUser(user);
    for (const service of persisted.services) this.services.set(service.clientId, service);
    this.nextUserId = persisted.nextUserId;
    this.nextRoleId = persisted.nextRoleId;
    this.adminClientId = persisted.adminClientId;
    this.adminClientSecret = persisted.adminClientSecret;
  }

  /** Environment or options may name other admin credentials than the state file: they win. */
  replaceAdminCredentials(clientId: string, clientSecret: string): void {
    if (clientId === this.adminClientId && clientSecret === this.adminClientSecret) return;
    const previous = this.services.get(this.adminClientId);
    const owner = previous?.ownerUserId ?? this.findUser(ORCHESTRATOR_USERID)?.id;
    if (owner === undefined)
      throw new Error('sandbox state has no orchestrator user to own the admin service');
    this.services.delete(this.adminClientId);
    this.revokeTokensOf(this.adminClientId);
    this.services.set(clientId, {
      clientId,
      clientSecretSha256: sha256Hex(clientSecret),
      displayName: previous?.displayName ?? 'Sandbox admin',
      description: previous?.description ?? '',
      ownerUserId: owner,
      isAdmin: true,
      createdAt: previous?.createdAt ?? this.now(),
    });
    this.adminClientId = clientId;
    this.adminClientSecret = clientSecret;
    this.onChange();
  }

  toPersisted(): PersistedState {
    return {
      version: 1,
      adminClientId: this.adminClientId,
      adminClientSecret: this.adminClientSecret,
      nextUserId: this.nextUserId,
      nextRoleId: this.nextRoleId,
      roles: [...this.roles.values()],
      workspaces: [...this.workspaces.values()],
      users: [...this.users.values()],
      services: [...this.services.values()],
    };
  }

  // ---- users ----

  findUser(userid: string): UserRecord | undefined {
    return this.usersByUserid.get(lookupKey(userid));
  }

  findUserByEmail(emailAddress: string): UserRecord | undefined {
    return this.usersByEmail.get(lookupKey(emailAddress));
  }

  /**
   * Marketo locks an account when its access expiration passes. The sandbox derives the lock from
   * `expiresAt` on every read instead of running timers, so the lock is exact to the millisecond and
   * survives restarts. A lock cannot predate the write that set `expiresAt` (a client that sets a past
   * date locks the user from that moment on), which is what `lockedAt` records.
   */
  lockState(user: UserRecord): LockState {
    if (user.status !== 'active' || user.expiresAt === null || this.now() < user.expiresAt) {
      return { isLocked: false, lockedReason: null, lockedAt: null };
    }
    if (user.unlockedByAdminAt != null) return { isLocked: false, lockedReason: null, lockedAt: null };
    return {
      isLocked: true,
      lockedReason: LOCKED_FOR_EXPIRY,
      lockedAt: Math.max(user.expiresAt, user.expiresAtSetAt ?? user.expiresAt),
    };
  }

  permissionsOf(user: UserRecord): Set<string> {
    const granted = new Set<string>();
    for (const pair of user.roles) {
      for (const permission of this.roles.get(pair.accessRoleId)?.permissions ?? []) granted.add(permission);
    }
    return granted;
  }

  mayUseUserManagement(user: UserRecord): boolean {
    const granted = this.permissionsOf(user);
    return granted.has(ACCESS_USER_MANAGEMENT_API) && granted.has(ACCESS_USERS);
  }

  createUser(input: NewUser, status: 'pending' | 'active'): UserRecord {
    const at = this.now();
    const user: UserRecord = {
      id: this.nextUserId++,
      userid: input.userid,
      emailAddress: input.emailAddress,
      firstName: input.firstName,
      lastName: input.lastName,
      apiOnly: input.apiOnly,
      status,
      roles: dedupePairs(input.roles),
      expiresAt: input.expiresAt,
      expiresAtSetAt: input.expiresAt === null ? null : at,
      pastLocks: [],
      reason: input.reason,
      origin: input.origin,
      createdAt: at,
      updatedAt: at,
      lastLoginAt: null,
    };
    this.indexUser(user);
    this.onChange();
    return user;
  }

  /** What an admin's "Unlock" does in Marketo's UI: the account works again, its past expiry unchanged. */
  unlockByAdmin(user: UserRecord): void {
    const before = this.lockState(user);
    if (!before.isLocked || before.lockedAt === null) return;
    const at = this.now();
    user.pastLocks.push({ lockedAt: before.lockedAt, unlockedAt: at });
    user.unlockedByAdminAt = at;
    user.updatedAt = at;
    this.onChange();
  }

  acceptInvitation(user: UserRecord): void {
    user.status = 'active';
    user.updatedAt = this.now();
    this.onChange();
  }

  updateUser(user: UserRecord, patch: UserPatch): void {
    const at = this.now();
    if (patch.expiresAt !== undefined) {
      const before = this.lockState(user);
      user.expiresAt = patch.expiresAt;
      user.expiresAtSetAt = at;
      // A new expiry is a new decision: an earlier manual unlock does not outlive it.
      user.unlockedByAdminAt = null;
      if (before.isLocked && before.lockedAt !== null && !this.lockState(user).isLocked) {
        user.pastLocks.push({ lockedAt: before.lockedAt, unlockedAt: at });
      }
    }
    if (patch.emailAddress !== undefined && patch.emailAddress !== user.emailAddress) {
      this.usersByEmail.delete(lookupKey(user.emailAddress));
      user.emailAddress = patch.emailAddress;
      this.usersByEmail.set(lookupKey(user.emailAddress), user);
    }
    if (patch.firstName !== undefined) user.firstName = patch.firstName;
    if (patch.lastName !== undefined) user.lastName = patch.lastName;
    if (patch.apiOnly !== undefined) user.apiOnly = patch.apiOnly;
    user.updatedAt = at;
    this.onChange();
  }

  deleteUser(user: UserRecord): void {
    this.users.delete(user.id);
    this.usersByUserid.delete(lookupKey(user.userid));
    this.usersByEmail.delete(lookupKey(user.emailAddress));
    this.onChange();
  }

  setUserRoles(user: UserRecord, roles: RoleWorkspacePair[]): void {
    user.roles = dedupePairs(roles);
    user.updatedAt = this.now();
    this.onChange();
  }

  servicesOwnedBy(user: UserRecord): ServiceRecord[] {
    return [...this.services.values()].filter((service) => service.ownerUserId === user.id);
  }

  recordLogin(user: UserRecord): void {
    user.lastLoginAt = this.now();
    this.onChange();
  }

  // ---- roles ----

  findRoleByName(name: string): RoleRecord | undefined {
    const key = name.trim().toLowerCase();
    return [...this.roles.values()].find((role) => role.name.toLowerCase() === key);
  }

  createRole(name: string, description: string, permissions: string[]): RoleRecord {
    const at = this.now();
    const role: RoleRecord = {
      id: this.nextRoleId++,
      name,
      description,
      type: 'custom',
      hidden: false,
      onlyAllZones: false,
      permissions: [...new Set(permissions)],
      createdAt: at,
      updatedAt: at,
    };
    this.roles.set(role.id, role);
    this.onChange();
    return role;
  }

  usersHoldingRole(roleId: number): UserRecord[] {
    return [...this.users.values()].filter((user) => user.roles.some((pair) => pair.accessRoleId === roleId));
  }

  deleteRole(role: RoleRecord): void {
    this.roles.delete(role.id);
    this.onChange();
  }

  // ---- services and tokens ----

  createService(
    displayName: string,
    description: string,
    owner: UserRecord,
  ): { service: ServiceRecord; clientSecret: string } {
    const clientSecret = generateClientSecret();
    const service: ServiceRecord = {
      clientId: generateClientId(),
      clientSecretSha256: sha256Hex(clientSecret),
      displayName,
      description,
      ownerUserId: owner.id,
      isAdmin: false,
      createdAt: this.now(),
    };
    this.services.set(service.clientId, service);
    this.onChange();
    return { service, clientSecret };
  }

  deleteService(service: ServiceRecord): void {
    this.services.delete(service.clientId);
    this.revokeTokensOf(service.clientId);
    this.onChange();
  }

  private revokeTokensOf(clientId: string): void {
    for (const token of this.tokens.values()) if (token.clientId === clientId) token.revoked = true;
    this.currentTokenByClientId.delete(clientId);
  }

  private indexUser(user: UserRecord): void {
    this.users.set(user.id, user);
    this.usersByUserid.set(lookupKey(user.userid), user);
    this.usersByEmail.set(lookupKey(user.emailAddress), user);
    if (user.id >= this.nextUserId) this.nextUserId = user.id + 1;
  }
}

function dedupePairs(pairs: RoleWorkspacePair[]): RoleWorkspacePair[] {
  const seen = new Set<string>();
  const unique: RoleWorkspacePair[] = [];
  for (const pair of pairs) {
    const key = `${pair.accessRoleId}:${pair.workspaceId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push({ accessRoleId: pair.accessRoleId, workspaceId: pair.workspaceId });
  }
  return unique;
}
