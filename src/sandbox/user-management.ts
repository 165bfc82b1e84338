import { formatMarketoDate } from '../marketo/datetime';
import type { RoleRecord, RoleWorkspacePair, UserRecord, WorkspaceRecord } from './model';
import { allUsersQuerySchema, inviteUserSchema, roleChangeSchema, updateUserSchema } from './schemas';
import { ALL_ZONES_WORKSPACE_ID, SUBSCRIPTION_ID } from './seed';
import type { SandboxStore } from './state';
import { ApiError, ok, validate, type Answer } from './http';

export const USER_MANAGEMENT_PREFIX = '/userservice/management/v1/users/';

type RouteName =
  | 'listUsers'
  | 'inviteUser'
  | 'listRoles'
  | 'listWorkspaces'
  | 'getInvitedUser'
  | 'deleteInvitation'
  | 'getUser'
  | 'updateUser'
  | 'deleteUser'
  | 'getUserRoles'
  | 'addUserRoles'
  | 'removeUserRoles';

interface RouteShape {
  name: RouteName;
  method: 'GET' | 'POST';
  /** The path pattern under the prefix, which also names the endpoint in counters. */
  pattern: string;
  takesBody: boolean;
}

const ROUTES: readonly RouteShape[] = [
  { name: 'listUsers', method: 'GET', pattern: 'allusers.json', takesBody: false },
  { name: 'inviteUser', method: 'POST', pattern: 'invite.json', takesBody: true },
  { name: 'listRoles', method: 'GET', pattern: 'roles.json', takesBody: false },
  { name: 'listWorkspaces', method: 'GET', pattern: 'workspaces.json', takesBody: false },
  { name: 'getInvitedUser', method: 'GET', pattern: '{userid}/invite.json', takesBody: false },
  { name: 'deleteInvitation', method: 'POST', pattern: '{userid}/invite/delete.json', takesBody: false },
  { name: 'getUser', method: 'GET', pattern: '{userid}/user.json', takesBody: false },
  { name: 'updateUser', method: 'POST', pattern: '{userid}/update.json', takesBody: true },
  { name: 'deleteUser', method: 'POST', pattern: '{userid}/delete.json', takesBody: false },
  { name: 'getUserRoles', method: 'GET', pattern: '{userid}/roles.json', takesBody: false },
  { name: 'addUserRoles', method: 'POST', pattern: '{userid}/roles/create.json', takesBody: true },
  { name: 'removeUserRoles', method: 'POST', pattern: '{userid}/roles/delete.json', takesBody: true },
];

export interface MatchedRoute extends RouteShape {
  /** Decoded userid path segment; undefined for the four collection endpoints. */
  userid: string | undefined;
  /** `METHOD pattern`, the key of `counters.userManagement.byEndpoint`. */
  endpoint: string;
}

/**
 * Matches the raw path after the prefix. The userid segment is matched raw and decoded afterwards, so
 * `%2F` inside a userid stays part of it and `..` is just a userid that does not exist.
 */
export function matchUserManagementRoute(rawRest: string, method: string): MatchedRoute {
  const segments = rawRest.split('/');
  const head = segments[0] ?? '';
  const tail = segments.slice(1).join('/');
  const shape =
    segments.length === 1
      ? ROUTES.find((route) => route.pattern === head)
      : ROUTES.find((route) => route.pattern === `{userid}/${tail}`);
  if (!shape) throw new ApiError(404, '610', 'Requested resource not found');
  if (method !== shape.method) {
    throw new ApiError(405, '605', `Request method '${method}' not supported`);
  }
  let userid: string | undefined;
  if (segments.length > 1) {
    try {
      userid = decodeURIComponent(head);
    } catch {
      throw new ApiError(400, '1003', 'Invalid userid: malformed percent-encoding');
    }
    if (userid.trim() === '') throw new ApiError(400, '1003', 'Invalid userid: empty');
  }
  return { ...shape, userid, endpoint: `${shape.method} ${shape.pattern}` };
}

const marketoDate = (millis: number): string => formatMarketoDate(new Date(millis));
const optionalMarketoDate = (millis: number | null): string | null =>
  millis === null ? null : marketoDate(millis);

export class UserManagementApi {
  constructor(private readonly store: SandboxStore) {}

  handle(route: MatchedRoute, query: URLSearchParams, body: unknown): Answer {
    switch (route.name) {
      case 'listUsers':
        return this.listUsers(query);
      case 'inviteUser':
        return this.inviteUser(body);
      case 'listRoles':
        return ok([...this.store.roles.values()].map(roleView));
      case 'listWorkspaces':
        return ok([...this.store.workspaces.values()].map(workspaceView));
      case 'getInvitedUser':
        return ok(this.invitedView(this.pendingUser(route)));
      case 'deleteInvitation':
        this.store.deleteUser(this.pendingUser(route));
        return ok(undefined);
      case 'getUser':
        return ok(this.userView(this.activeUser(route)));
      case 'updateUser':
        return this.updateUser(route, body);
      case 'deleteUser':
        return this.deleteUser(route);
      case 'getUserRoles':
        return ok(this.pairsView(this.anyUser(route).roles));
      case 'addUserRoles':
        return this.addRoles(route, body);
      case 'removeUserRoles':
        return this.removeRoles(route, body);
    }
  }

  private listUsers(query: URLSearchParams): Answer {
    const { pageOffset, pageSize } = validate(allUsersQuerySchema, {
      pageOffset: query.get('pageOffset') ?? undefined,
      pageSize: query.get('pageSize') ?? undefined,
    });
    const page = [...this.store.users.values()].slice(pageOffset, pageOffset + pageSize);
    return ok(
      page.map((user) => ({
        userid: user.userid,
        firstName: user.firstName,
        lastName: user.lastName,
        emailAddress: user.emailAddress,
        id: user.id,
        apiOnly: user.apiOnly,
      })),
    );
  }

  private inviteUser(body: unknown): Answer {
    const input = validate(inviteUserSchema, body);
    const roles = this.checkPairs(input.userRoleWorkspaces);
    const userid = input.userid ?? input.emailAddress;
    if (this.store.findUser(userid)) throw new ApiError(409, '1005', `User '${userid}' already exists`);
    if (this.store.findUserByEmail(input.emailAddress)) {
      throw new ApiError(409, '1005', `Email address '${input.emailAddress}' is already in use`);
    }
    const apiOnly = input.apiOnly ?? false;
    this.store.createUser(
      {
        userid,
        emailAddress: input.emailAddress,
        firstName: input.firstName,
        lastName: input.lastName,
        apiOnly,
        roles,
        expiresAt: input.expiresAt ?? null,
        reason: input.reason ?? null,
        origin: 'api',
      },
      // An API-only user never receives an invitation email, so there is nothing to accept.
      apiOnly ? 'active' : 'pending',
    );
    return ok(true);
  }

  private updateUser(route: MatchedRoute, body: unknown): Answer {
    const patch = validate(updateUserSchema, body);
    const user = this.activeUser(route);
    if (patch.emailAddress !== undefined) {
      const holder = this.store.findUserByEmail(patch.emailAddress);
      if (holder && holder !== user) {
        throw new ApiError(409, '1005', `Email address '${patch.emailAddress}' is already in use`);
      }
    }
    this.store.updateUser(user, patch);
    return ok(this.userView(user));
  }

  private deleteUser(route: MatchedRoute): Answer {
    const user = this.activeUser(route);
    if (this.store.servicesOwnedBy(user).length > 0) {
      throw new ApiError(409, '611', 'You cannot delete an API user that is being used in API service');
    }
    this.store.deleteUser(user);
    return ok(undefined);
  }

  private addRoles(route: MatchedRoute, body: unknown): Answer {
    const pairs = this.checkPairs(validate(roleChangeSchema, body));
    const user = this.anyUser(route);
    this.store.setUserRoles(user, [...user.roles, ...pairs]);
    return ok(this.pairsView(user.roles));
  }

  private removeRoles(route: MatchedRoute, body: unknown): Answer {
    const pairs = this.checkPairs(validate(roleChangeSchema, body));
    const user = this.anyUser(route);
    const removed = new Set(pairs.map((pair) => `${pair.accessRoleId}:${pair.workspaceId}`));
    const remaining = user.roles.filter((pair) => !removed.has(`${pair.accessRoleId}:${pair.workspaceId}`));
    if (remaining.length === 0) {
      throw new ApiError(400, '1003', 'Invalid input: a user must keep at least one role');
    }
    this.store.setUserRoles(user, remaining);
    return ok(this.pairsView(user.roles));
  }

  /** Every pair must name a known role and workspace; an all-zones role only fits workspace 0. */
  private checkPairs(pairs: RoleWorkspacePair[]): RoleWorkspacePair[] {
    for (const pair of pairs) {
      const role = this.store.roles.get(pair.accessRoleId);
      if (!role) throw new ApiError(400, '1003', `Invalid input: unknown accessRoleId ${pair.accessRoleId}`);
      if (!this.store.workspaces.has(pair.workspaceId)) {
        throw new ApiError(400, '1003', `Invalid input: unknown workspaceId ${pair.workspaceId}`);
      }
      if (role.onlyAllZones && pair.workspaceId !== ALL_ZONES_WORKSPACE_ID) {
        throw new ApiError(
          400,
          '1003',
          `Invalid input: role ${role.id} '${role.name}' applies to all zones only (workspaceId ${ALL_ZONES_WORKSPACE_ID})`,
        );
      }
    }
    return pairs;
  }

  private anyUser(route: MatchedRoute): UserRecord {
    const user = route.userid === undefined ? undefined : this.store.findUser(route.userid);
    if (!user) throw notFound(route.userid);
    return user;
  }

  private activeUser(route: MatchedRoute): UserRecord {
    const user = this.anyUser(route);
    if (user.status !== 'active') throw notFound(route.userid);
    return user;
  }

  private pendingUser(route: MatchedRoute): UserRecord {
    const user = this.anyUser(route);
    if (user.status !== 'pending') throw notFound(route.userid, 'pending invitation');
    return user;
  }

  private userView(user: UserRecord): Record<string, unknown> {
    const lock = this.store.lockState(user);
    return {
      userid: user.userid,
      firstName: user.firstName,
      lastName: user.lastName,
      emailAddress: user.emailAddress,
      optedIn: false,
      failedLogins: 0,
      failedDeviceCode: 0,
      isLocked: lock.isLocked,
      lockedReason: lock.lockedReason,
      id: user.id,
      apiOnly: user.apiOnly,
      userRoleWorkspaces: this.pairsView(user.roles),
      expiresAt: optionalMarketoDate(user.expiresAt),
      lastLoginAt: optionalMarketoDate(user.lastLoginAt),
    };
  }

  private invitedView(user: UserRecord): Record<string, unknown> {
    return {
      id: user.id,
      firstName: user.firstName,
      lastName: user.lastName,
      emailAddress: user.emailAddress,
      userid: user.userid,
      subscriptionId: SUBSCRIPTION_ID,
      status: 'pending',
      expiresAt: optionalMarketoDate(user.expiresAt),
      createdAt: marketoDate(user.createdAt),
      updatedAt: marketoDate(user.updatedAt),
    };
  }

  private pairsView(pairs: RoleWorkspacePair[]): Record<string, unknown>[] {
    return pairs.map((pair) => ({
      accessRoleId: pair.accessRoleId,
      accessRoleName: this.store.roles.get(pair.accessRoleId)?.name ?? null,
      workspaceId: pair.workspaceId,
      workspaceName: this.store.workspaces.get(pair.workspaceId)?.name ?? null,
    }));
  }
}

function notFound(userid: string | undefined, what = 'user'): ApiError {
  // Echoed as (shortened) JSON so that control characters or markup in a userid stay inert.
  const shown = JSON.stringify((userid ?? '').slice(0, 200));
  return new ApiError(404, '1004', `No ${what} found with userid ${shown}`);
}

function roleView(role: RoleRecord): Record<string, unknown> {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    type: role.type,
    hidden: role.hidden,
    onlyAllZones: role.onlyAllZones,
    createdAt: marketoDate(role.createdAt),
    updatedAt: marketoDate(role.updatedAt),
  };
}

function workspaceView(workspace: WorkspaceRecord): Record<string, unknown> {
  return {
    id: workspace.id,
    name: workspace.name,
    description: workspace.description,
    globalViz: workspace.globalViz,
    status: 'active',
    currencyInfo: workspace.currencyInfo,
    createdAt: marketoDate(workspace.createdAt),
    updatedAt: marketoDate(workspace.updatedAt),
  };
}
