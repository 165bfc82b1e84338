import type { FaultConfig, FaultInjector } from './faults';
import { faultConfigSchema } from './faults';
import type { InstanceLimits, RateLimit } from './limits';
import type {
  RoleRecord,
  RoleWorkspacePair,
  SandboxMode,
  ServiceRecord,
  UserOrigin,
  UserRecord,
} from './model';
import type { UsageLedger } from './usage';
import { copyCounters, emptyCounters, type SandboxCounters } from './counters';
import { createRoleSchema, createServiceSchema, seedUsersSchema } from './schemas';
import { canonicalPermission, KNOWN_PERMISSIONS } from './seed';
import type { SandboxStore } from './state';
import { ApiError, validate } from './http';

/** The live parts of one running sandbox, shared by the HTTP layer and the operator. */
export interface SandboxRuntime {
  readonly store: SandboxStore;
  readonly faults: FaultInjector;
  readonly limits: InstanceLimits;
  readonly mode: SandboxMode;
  counters: SandboxCounters;
  /** What the Usage API reports; in memory only, as Marketo's own usage is not part of the state file. */
  readonly usage: UsageLedger;
}

export interface RoleSnapshot {
  id: number;
  name: string;
  description: string;
  type: 'system' | 'custom';
  hidden: boolean;
  onlyAllZones: boolean;
  permissions: string[];
  createdAt: string;
  updatedAt: string;
}

export interface WorkspaceSnapshot {
  id: number;
  name: string;
  description: string;
}

export interface UserSnapshot {
  id: number;
  userid: string;
  emailAddress: string;
  firstName: string;
  lastName: string;
  apiOnly: boolean;
  status: 'pending' | 'active';
  userRoleWorkspaces: RoleWorkspacePair[];
  expiresAt: string | null;
  /** When `expiresAt` was last written. */
  expiresAtSetAt: string | null;
  isLocked: boolean;
  lockedReason: string | null;
  /** When the current lock took effect: the later of `expiresAt` and the write that set it. */
  lockedAt: string | null;
  pastLocks: { lockedAt: string; unlockedAt: string }[];
  reason: string | null;
  origin: UserOrigin;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
  /** Client ids of the custom services this user owns. */
  services: string[];
}

/** A custom service as the sandbox shows it: never with its secret. */
export interface ServiceSnapshot {
  clientId: string;
  displayName: string;
  description: string;
  ownerUserId: number;
  ownerUserid: string | null;
  ownerEmail: string | null;
  isAdmin: boolean;
  createdAt: string;
  liveTokens: number;
}

export interface SandboxSnapshot {
  mode: SandboxMode;
  /** The sandbox clock at the moment of the snapshot; every date here is plain ISO-8601. */
  now: string;
  roles: RoleSnapshot[];
  workspaces: WorkspaceSnapshot[];
  users: UserSnapshot[];
  services: ServiceSnapshot[];
  counters: SandboxCounters;
  faults: { config: FaultConfig; seed: number };
  limits: {
    rateLimit: RateLimit;
    maxConcurrent: number;
    dailyQuota: number;
    inFlight: number;
    peakInFlight: number;
    callsInWindow: number;
    quotaUsedToday: number;
  };
}

export interface CreatedService {
  clientId: string;
  /** Shown once, like "View Details" in LaunchPoint; the sandbox keeps only its hash. */
  clientSecret: string;
  displayName: string;
  description: string;
  ownerUserid: string;
  ownerEmail: string;
  createdAt: string;
}

export interface SeededUsers {
  created: number;
  firstUserid: string;
  lastUserid: string;
}

const iso = (millis: number): string => new Date(millis).toISOString();
const optionalIso = (millis: number | null): string | null => (millis === null ? null : iso(millis));

/**
 * What a Marketo admin does in the UI, which has no API: make roles and custom services, accept an
 * invitation, and the sandbox's own test controls (faults, counters, bulk seeding). The HTTP
 * `/sandbox/*` endpoints and in-process tests both come here.
 */
/** How long a repeated `Idempotency-Key` gets the first answer back (as Stripe does, for a day there). */
export const SERVICE_IDEMPOTENCY_MS = 10 * 60_000;

export class SandboxOperator {
  /**
   * Answers to service creations by idempotency key, in memory only (never persisted: they hold the secret, shown
   * once): a creation retried because its answer was lost, or arriving late after its retry, makes no second
   * service.
   */
  private readonly createdByKey = new Map<
    string,
    { answer: CreatedService; fingerprint: string; at: number }
  >();

  constructor(private readonly runtime: SandboxRuntime) {}

  snapshot(): SandboxSnapshot {
    const { store, faults, limits } = this.runtime;
    const servicesByOwner = new Map<number, string[]>();
    for (const service of store.services.values()) {
      const owned = servicesByOwner.get(service.ownerUserId) ?? [];
      owned.push(service.clientId);
      servicesByOwner.set(service.ownerUserId, owned);
    }
    return {
      mode: this.runtime.mode,
      now: iso(store.now()),
      roles: [...store.roles.values()].map(roleSnapshot),
      workspaces: [...store.workspaces.values()].map(({ id, name, description }) => ({
        id,
        name,
        description,
      })),
      users: [...store.users.values()].map((user) =>
        this.userSnapshot(user, servicesByOwner.get(user.id) ?? []),
      ),
      services: this.serviceSnapshots([...store.services.values()]),
      counters: copyCounters(this.runtime.counters),
      faults: { config: faults.config, seed: faults.seed },
      limits: {
        rateLimit: { ...limits.settings.rateLimit },
        maxConcurrent: limits.settings.maxConcurrent,
        dailyQuota: limits.settings.dailyQuota,
        ...limits.view(),
      },
    };
  }

  createRole(input: unknown): RoleSnapshot {
    const { name, description, permissions } = validate(createRoleSchema, input);
    const canonical = permissions.map(canonicalPermission);
    const unknown = canonical.filter((permission) => !KNOWN_PERMISSIONS.has(permission));
    if (unknown.length > 0) {
      throw new ApiError(400, '1003', `Invalid input: unknown permissions ${JSON.stringify(unknown)}`);
    }
    if (this.runtime.store.findRoleByName(name)) {
      throw new ApiError(409, '1005', `A role named ${JSON.stringify(name)} already exists`);
    }
    return roleSnapshot(this.runtime.store.createRole(name, description, canonical));
  }

  /** One role with its permissions, as Admin > Users & Roles shows it (roles.json lists no permissions). */
  getRole(roleId: number): RoleSnapshot {
    const role = this.runtime.store.roles.get(roleId);
    if (!role) throw new ApiError(404, '1004', `No role with id ${roleId}`);
    return roleSnapshot(role);
  }

  deleteRole(roleId: number): void {
    const { store } = this.runtime;
    const role = store.roles.get(roleId);
    if (!role) throw new ApiError(404, '1004', `No role with id ${roleId}`);
    if (role.type === 'system') throw new ApiError(409, '1005', `Role ${roleId} is a system role`);
    const holders = store.usersHoldingRole(roleId);
    if (holders.length > 0) {
      throw new ApiError(409, '1005', `Role ${roleId} is held by ${holders.length} user(s)`);
    }
    store.deleteRole(role);
  }

  /**
   * With an idempotency key: the first answer again (`repeated`) while its service exists, for ten minutes, but
   * only to the same request (name, description, owner); the same key for another request is refused without
   * the secret, so a leaked or guessed key cannot claim someone else's service.
   */
  createServiceOnce(
    input: unknown,
    idempotencyKey: string | undefined,
  ): { answer: CreatedService; repeated: boolean } {
    const request = this.serviceRequest(input);
    if (idempotencyKey === undefined) return { answer: this.createResolvedService(request), repeated: false };
    const now = Date.now();
    for (const [key, entry] of this.createdByKey) {
      if (now - entry.at < SERVICE_IDEMPOTENCY_MS) break; // in insertion order: the rest are younger
      this.createdByKey.delete(key);
    }
    const fingerprint = JSON.stringify([request.displayName, request.description, request.owner.id]);
    const earlier = this.createdByKey.get(idempotencyKey);
    if (earlier && this.runtime.store.services.has(earlier.answer.clientId)) {
      if (earlier.fingerprint !== fingerprint) {
        throw new ApiError(
          409,
          '1005',
          'This Idempotency-Key was used for another service request: send a new key for a new service',
        );
      }
      return { answer: earlier.answer, repeated: true };
    }
    const answer = this.createResolvedService(request);
    this.createdByKey.delete(idempotencyKey);
    this.createdByKey.set(idempotencyKey, { answer, fingerprint, at: now });
    return { answer, repeated: false };
  }

  createService(input: unknown): CreatedService {
    return this.createResolvedService(this.serviceRequest(input));
  }

  private serviceRequest(input: unknown): { displayName: string; description: string; owner: UserRecord } {
    const body = validate(createServiceSchema, input);
    const { store } = this.runtime;
    const owner =
      typeof body.apiOnlyUserId === 'number'
        ? store.users.get(body.apiOnlyUserId)
        : body.apiOnlyUserId !== undefined
          ? store.findUser(body.apiOnlyUserId)
          : body.userid !== undefined
            ? store.findUser(body.userid)
            : store.findUserByEmail(body.email ?? '');
    if (!owner) throw new ApiError(404, '1004', 'No such user');
    if (!owner.apiOnly || owner.status !== 'active') {
      throw new ApiError(
        400,
        '1003',
        'Invalid input: a custom service must be owned by an active API-only user',
      );
    }
    return { displayName: body.displayName, description: body.description, owner };
  }

  private createResolvedService(request: {
    displayName: string;
    description: string;
    owner: UserRecord;
  }): CreatedService {
    const { displayName, description, owner } = request;
    const { service, clientSecret } = this.runtime.store.createService(displayName, description, owner);
    return {
      clientId: service.clientId,
      clientSecret,
      displayName: service.displayName,
      description: service.description,
      ownerUserid: owner.userid,
      ownerEmail: owner.emailAddress,
      createdAt: iso(service.createdAt),
    };
  }

  /** All services, or those of one owner (what a creation checks for leftovers, without listing the instance). */
  listServices(ownerEmail?: string): ServiceSnapshot[] {
    const { store } = this.runtime;
    let services = [...store.services.values()];
    if (ownerEmail !== undefined) {
      const owner = store.findUserByEmail(ownerEmail);
      services = owner ? services.filter((service) => service.ownerUserId === owner.id) : [];
    }
    return this.serviceSnapshots(services);
  }

  deleteService(clientId: string): void {
    const { store } = this.runtime;
    const service = store.services.get(clientId);
    if (!service) throw new ApiError(404, '1004', 'No such custom service');
    if (service.isAdmin) {
      throw new ApiError(
        409,
        '1005',
        "The sandbox's admin service cannot be deleted: it would lock everyone out",
      );
    }
    store.deleteService(service);
  }

  /** Stands in for the invitee clicking the link in the invitation email. */
  /** Admin > Users > Unlock: an expired user that works again (what the sweep's lockExpired is for). */
  unlockUser(userid: string): void {
    const user = this.runtime.store.findUser(userid);
    if (!user || user.status !== 'active') throw new ApiError(404, '1004', 'No such user');
    this.runtime.store.unlockByAdmin(user);
  }

  acceptInvitation(userid: string): void {
    const user = this.runtime.store.findUser(userid);
    if (!user || user.status !== 'pending')
      throw new ApiError(404, '1004', 'No pending invitation for that userid');
    this.runtime.store.acceptInvitation(user);
  }

  getFaults(): { config: FaultConfig; seed: number } {
    return { config: this.runtime.faults.config, seed: this.runtime.faults.seed };
  }

  setFaults(input: unknown): { config: FaultConfig; seed: number } {
    const { seed, ...config } = validate(faultConfigSchema, input);
    this.runtime.faults.configure(config, seed);
    return this.getFaults();
  }

  resetCounters(): void {
    this.runtime.counters = emptyCounters();
    this.runtime.limits.resetPeak();
  }

  /** Hand-made API-only users in bulk, as an admin would have made them in the UI over the years. */
  seedUsers(input: unknown): SeededUsers {
    const { count, apiOnly, expiresAt, prefix, userRoleWorkspaces } = validate(seedUsersSchema, input);
    const { store } = this.runtime;
    const roles = userRoleWorkspaces ?? [{ accessRoleId: 102, workspaceId: 0 }];
    for (const pair of roles) {
      if (!store.roles.has(pair.accessRoleId) || !store.workspaces.has(pair.workspaceId)) {
        throw new ApiError(400, '1003', 'Invalid input: unknown role or workspace');
      }
    }
    let index = 0;
    const created: UserRecord[] = [];
    while (created.length < count) {
      index += 1;
      const userid = `${prefix}-${String(index).padStart(6, '0')}@sandbox.local`;
      if (store.findUser(userid) || store.findUserByEmail(userid)) continue;
      created.push(
        store.createUser(
          {
            userid,
            emailAddress: userid,
            firstName: 'Seeded',
            lastName: `User ${index}`,
            apiOnly,
            roles,
            expiresAt: expiresAt ?? null,
            reason: 'Seeded by the sandbox',
            origin: 'seed',
          },
          'active',
        ),
      );
    }
    return {
      created: created.length,
      firstUserid: created[0]?.userid ?? '',
      lastUserid: created[created.length - 1]?.userid ?? '',
    };
  }

  private userSnapshot(user: UserRecord, services: string[]): UserSnapshot {
    const lock = this.runtime.store.lockState(user);
    return {
      id: user.id,
      userid: user.userid,
      emailAddress: user.emailAddress,
      firstName: user.firstName,
      lastName: user.lastName,
      apiOnly: user.apiOnly,
      status: user.status,
      userRoleWorkspaces: user.roles.map((pair) => ({ ...pair })),
      expiresAt: optionalIso(user.expiresAt),
      expiresAtSetAt: optionalIso(user.expiresAtSetAt),
      isLocked: lock.isLocked,
      lockedReason: lock.lockedReason,
      lockedAt: optionalIso(lock.lockedAt),
      pastLocks: user.pastLocks.map((lock) => ({
        lockedAt: iso(lock.lockedAt),
        unlockedAt: iso(lock.unlockedAt),
      })),
      reason: user.reason,
      origin: user.origin,
      createdAt: iso(user.createdAt),
      updatedAt: iso(user.updatedAt),
      lastLoginAt: optionalIso(user.lastLoginAt),
      services,
    };
  }

  /** Live tokens counted in one pass: per service, it made a snapshot of thousands of services take seconds. */
  private serviceSnapshots(services: ServiceRecord[]): ServiceSnapshot[] {
    const { store } = this.runtime;
    const now = store.now();
    const liveTokens = new Map<string, number>();
    for (const token of store.tokens.values()) {
      if (!token.revoked && now < token.expiresAt) {
        liveTokens.set(token.clientId, (liveTokens.get(token.clientId) ?? 0) + 1);
      }
    }
    return services.map((service) => this.serviceSnapshot(service, liveTokens.get(service.clientId) ?? 0));
  }

  private serviceSnapshot(service: ServiceRecord, liveTokens: number): ServiceSnapshot {
    const owner = this.runtime.store.users.get(service.ownerUserId);
    return {
      clientId: service.clientId,
      displayName: service.displayName,
      description: service.description,
      ownerUserId: service.ownerUserId,
      ownerUserid: owner?.userid ?? null,
      ownerEmail: owner?.emailAddress ?? null,
      isAdmin: service.isAdmin,
      createdAt: iso(service.createdAt),
      liveTokens,
    };
  }
}

function roleSnapshot(role: RoleRecord): RoleSnapshot {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    type: role.type,
    hidden: role.hidden,
    onlyAllZones: role.onlyAllZones,
    permissions: [...role.permissions],
    createdAt: iso(role.createdAt),
    updatedAt: iso(role.updatedAt),
  };
}
