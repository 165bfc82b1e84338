/**
 * The activities' signatures, shared with workflows through `import type` only. Activities on the Marketo
 * queue make exactly one User Management call each, so the server-side rate limit of that queue is a call
 * budget that holds across every worker process.
 */
import type { AdminConsole } from '../marketo/admin-console';
import type { LifecycleNotification } from '../notifications';
import type { UsageLookup } from '../domain/usage';
import type { AuditEvent } from '../store/types';

export interface MarketoUserView {
  userid: string;
  id: number;
  emailAddress: string;
  firstName: string;
  lastName: string;
  apiOnly: boolean;
  isLocked: boolean;
  lockedReason: string | null;
  /** ISO-8601 UTC, or null when the user never expires. */
  expiresAt: string | null;
  roles: { accessRoleId: number; workspaceId: number }[];
  /** ISO-8601 where the instance tells (Marketo's documented record does not), else null. */
  createdAt: string | null;
}

export interface RolePairView {
  accessRoleId: number;
  workspaceId: number;
}

export interface UserSummaryView {
  userid: string;
  email: string;
  apiOnly: boolean;
}

export interface RoleView {
  id: number;
  name: string;
  /** roles.json's `type` ("system" or "custom"); null when the instance does not say. */
  type: string | null;
}

export interface WorkspaceView {
  id: number;
  name: string;
}

export interface InviteApiOnlyUserInput {
  email: string;
  firstName: string;
  lastName: string;
  roleId: number;
  workspaceId: number;
  expiresAt: string;
  reason?: string;
}

/** One User Management call each: these run on the Marketo task queue. */
export interface MarketoActivities {
  listRoles(): Promise<RoleView[]>;
  /** One page of allusers.json (pageOffset counts users). */
  listUsersPage(pageOffset: number, pageSize: number): Promise<UserSummaryView[]>;
  listWorkspaces(): Promise<WorkspaceView[]>;
  /** null when Marketo has no such (accepted) user. */
  getUser(userid: string): Promise<MarketoUserView | null>;
  /** 'already-exists' when Marketo refuses the invite as a duplicate: the workflow decides whether it is ours. */
  inviteApiOnlyUser(input: InviteApiOnlyUserInput): Promise<'invited' | 'already-exists'>;
  /** Moves `expiresAt`; null when the user is gone. */
  setUserExpiry(userid: string, expiresAt: string): Promise<MarketoUserView | null>;
  /** Sets `expiresAt` to the activity's now, so Marketo locks the user; null when the user is gone. */
  expireUserNow(userid: string): Promise<MarketoUserView | null>;
  /** Changes first and last name (a user adopted from an earlier lifecycle of the same email); null when gone. */
  setUserNames(
    userid: string,
    names: { firstName: string; lastName: string },
  ): Promise<MarketoUserView | null>;
  /** Adds role/workspace pairs (roles/create.json); the user's pairs after the change, null when the user is gone. */
  addUserRoles(userid: string, pairs: RolePairView[]): Promise<RolePairView[] | null>;
  /** Removes role/workspace pairs (roles/delete.json); the pairs that remain, null when the user is gone. */
  removeUserRoles(userid: string, pairs: RolePairView[]): Promise<RolePairView[] | null>;
  /** 'in-use-by-service' is Marketo's 611: a custom service still belongs to the user. */
  deleteUser(userid: string): Promise<'deleted' | 'gone' | 'in-use-by-service'>;
  /**
   * Evidence that the user is locked: `isLocked` (one call), or else its service refused a token (identity,
   * which Marketo does not count). Throws a retryable failure when neither holds yet.
   */
  confirmUserLocked(input: {
    userid: string;
    secretRef?: string;
    clientId?: string;
  }): Promise<'locked' | 'gone' | 'token-refused'>;
}

export interface AdminCapabilities {
  /** Whether roles and custom services can be made by software (sandbox) or need an operator (real Marketo). */
  canCreateRoles: boolean;
  canCreateServices: boolean;
}

export interface ServiceVerification {
  ok: boolean;
  /** Why the credentials were refused or did not match, without any secret. */
  problem?: string;
}

/** The Admin UI stand-in (sandbox) or the operator (real Marketo): roles and custom services. */
export interface AdminConsoleActivities {
  /** A random key (122 bits) for one service creation: its result sits in history encrypted, so no one else knows it. */
  newIdempotencyKey(): Promise<string>;
  getAdminCapabilities(): Promise<AdminCapabilities>;
  /** 'already-exists' when the role appeared meanwhile: the workflow finds it and uses it, as not its own. */
  createRole: AdminConsole['createRole'];
  deleteRole: AdminConsole['deleteRole'];
  /** The role's permissions where the instance tells them (the sandbox's console); null on a real instance. */
  getRolePermissions(roleId: number): Promise<string[] | null>;
  /**
   * Creates the custom service and puts its secret straight into the secret store under `secretRef`.
   * `idempotencyKey` is the workflow run's own, unguessable: retries of this creation share it, nothing else does.
   */
  createCustomService(input: {
    displayName: string;
    description: string;
    ownerEmail: string;
    secretRef: string;
    idempotencyKey: string;
  }): Promise<{ clientId: string }>;
  deleteCustomService(clientId: string): Promise<'deleted' | 'gone'>;
  /** Deletes every custom service the user owns (an earlier lifecycle's); returns their client ids. */
  deleteCustomServicesOf(ownerEmail: string): Promise<string[]>;
}

/** Keys and secrets: the worker's workflow-id key and the secret store's service credentials. */
export interface CredentialActivities {
  /**
   * Refuses (non-retryable `WorkflowIdKeyMismatch`) a lifecycle whose starter used another workflow-id key than
   * this worker: `fingerprint` is the starter's workflowIdKeyFingerprint.
   */
  checkWorkflowIdKey(fingerprint: string): Promise<void>;
  /** Obtains a token with the stored credentials and checks that its scope is the API-only user's email. */
  verifyServiceCredentials(input: {
    secretRef: string;
    clientId: string;
    expectedScope: string;
  }): Promise<ServiceVerification>;
  deleteSecret(secretRef: string): Promise<void>;
  /**
   * A retired service's proof of death: its stored credentials are refused a token (Marketo's identity endpoint
   * answers 401). `dead: false` with the reason when they still get one, or cannot be tried.
   */
  proveCredentialsDead(service: { clientId: string; secretRef: string }): Promise<CredentialsProof>;
}

export interface CredentialsProof {
  dead: boolean;
  problem?: string;
}

export interface NotifyActivities {
  notify(notification: LifecycleNotification): Promise<void>;
}

export interface AuditActivities {
  /** Idempotent on `event.id`: a workflow derives it from its id and step, so a retry stores the event once. */
  appendAuditEvent(event: AuditEvent): Promise<void>;
}

/** What a sweep reads and records beside Marketo's users. */
export interface SweepBookkeepingActivities {
  /** For a sweep: the orchestrator's own user, which it never locks. */
  getSweepContext(): Promise<SweepContext>;
  /** Of these emails, those an active lifecycle of this instance manages (lowercased), with its expiry. */
  managedLifecyclesOf(emails: string[]): Promise<Record<string, ManagedLifecycle>>;
  /** The first-seen dates already recorded for these users, recording nothing (dry runs). */
  firstSeenOf(userids: string[]): Promise<Record<string, string>>;
  /** The expiry a lifecycle holds now, or null when it no longer governs its user (revoked or ended since). */
  currentManagedExpiry(workflowId: string): Promise<string | null>;
  /** Remembers when the sweep first saw each user (for maxLifetime from first sight); returns those dates. */
  recordFirstSeen(userids: string[], at: string): Promise<Record<string, string>>;
  /** For maxIdle: these users' last days with calls in the usage ledger, and the days the ledger covers. */
  usageOfUsers(userids: string[]): Promise<UsageLookup>;
}

/** What one collection of Marketo's Usage API stored: counts only, never a secret. */
export interface UsageCollectionReport {
  instance: string;
  /** Marketo's day of the reading. */
  collectedDay: string;
  /** The oldest day the reading covered (Marketo keeps 7). */
  coveredSince: string;
  /** Days with calls in the reading. */
  days: number;
  /** Distinct API users with calls. */
  users: number;
  calls: number;
  /** Errors of the covered days by Marketo code. */
  errorsByCode: Record<string, number>;
}

/** The usage collector's: two Usage API reads (not User Management), on the Marketo queue with the rest. */
export interface UsageActivities {
  collectUsage(): Promise<UsageCollectionReport>;
}

/** Everything that makes no User Management call: these run on the general task queue. */
export interface SupportActivities
  extends AdminConsoleActivities,
    CredentialActivities,
    NotifyActivities,
    AuditActivities,
    SweepBookkeepingActivities {}

export interface SweepContext {
  selfEmail: string;
}

export interface ManagedLifecycle {
  workflowId: string;
  expiresAt: string;
}
