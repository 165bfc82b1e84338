/**
 * The sandbox's in-memory records. Times are epoch milliseconds inside the sandbox; they become
 * Marketo-form dates only at the User Management edge and ISO-8601 in `/sandbox/state`.
 */

export type SandboxMode = 'automatic' | 'real-like';

export interface RoleRecord {
  id: number;
  name: string;
  description: string;
  type: 'system' | 'custom';
  hidden: boolean;
  onlyAllZones: boolean;
  permissions: string[];
  createdAt: number;
  updatedAt: number;
}

export interface WorkspaceRecord {
  id: number;
  name: string;
  description: string;
  globalViz: number;
  currencyInfo: string;
  createdAt: number;
  updatedAt: number;
}

export interface RoleWorkspacePair {
  accessRoleId: number;
  workspaceId: number;
}

/** One past lock that an admin lifted by moving `expiresAt` into the future. */
export interface PastLock {
  lockedAt: number;
  unlockedAt: number;
}

/** How the user came to exist: through the API, a sandbox operator call, or bulk seeding. */
export type UserOrigin = 'api' | 'operator' | 'seed' | 'builtin';

export interface UserRecord {
  id: number;
  userid: string;
  emailAddress: string;
  firstName: string;
  lastName: string;
  apiOnly: boolean;
  status: 'pending' | 'active';
  roles: RoleWorkspacePair[];
  expiresAt: number | null;
  /** When `expiresAt` was last written: a lock cannot start before the write that caused it. */
  expiresAtSetAt: number | null;
  pastLocks: PastLock[];
  /**
   * When an admin unlocked the account by hand (Admin > Users > Unlock) while its expiry had passed: the
   * user is usable again, expired but not locked, until `expiresAt` is written again.
   */
  unlockedByAdminAt?: number | null;
  reason: string | null;
  origin: UserOrigin;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface ServiceRecord {
  clientId: string;
  /** sha256 of the secret, hex: the sandbox only ever verifies a secret, never shows it again. */
  clientSecretSha256: string;
  displayName: string;
  description: string;
  ownerUserId: number;
  /** The seeded orchestrator service whose credentials are the sandbox's admin credentials. */
  isAdmin: boolean;
  createdAt: number;
}

export interface TokenRecord {
  token: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  /** Marketo answers 602 once for an expired token, then 601. */
  expiryReported: boolean;
  revoked: boolean;
}

export const LOCKED_FOR_EXPIRY = 'Access expired';
