export { startSandbox, IDENTITY_PATH, type RunningSandbox, type SandboxOptions } from './server';
export type {
  CreatedService,
  RoleSnapshot,
  SandboxOperator,
  SandboxSnapshot,
  SeededUsers,
  ServiceSnapshot,
  UserSnapshot,
  WorkspaceSnapshot,
} from './operator';
export type { SandboxCounters } from './counters';
export { FAULT_KINDS, type FaultConfig, type FaultKind } from './faults';
export type { RateLimit } from './limits';
export type { SandboxMode } from './model';
export { ApiError as SandboxApiError } from './http';
export { OPERATOR_HEADER } from './admin-endpoints';
export { writeAdminTokenFile } from './admin-guard';
export { USER_MANAGEMENT_PREFIX } from './user-management';
export {
  ACCESS_API_PERMISSIONS,
  ACCESS_USER_MANAGEMENT_API,
  ACCESS_USERS,
  ACCESS_ROLES,
  ORCHESTRATOR_ROLE_NAME,
  ORCHESTRATOR_USERID,
} from './seed';
