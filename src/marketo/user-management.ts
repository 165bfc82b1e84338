/**
 * The twelve User Management endpoints, one method each, under `/userservice/management/v1/users/` (no
 * `/rest` prefix). Inputs are checked with zod before anything is sent; outputs are parsed with zod.
 *
 * Choices where the sources disagree:
 * - Role changes send a bare array `[{accessRoleId, workspaceId}]`, as the prose and examples of Marketo's
 *   User Management guide do (the Swagger's `{input: [...]}` wrapper is not used).
 * - `expiresAt` on invite is sent as ISO-8601 without milliseconds (`2026-12-31T23:59:59+00:00`), as the
 *   guide documents for invite; on update it is sent in the form the guide's update example and the
 *   Swagger use (`2026-12-31T23:59:59.000t+0000`). A string is sent exactly as given.
 */
import type { z } from 'zod';
import { formatIsoDateSeconds, formatMarketoDate } from './datetime';
import { CLIENT_ERROR_CODES, MarketoApiError } from './errors';
import type { MarketoHttp } from './http';
import {
  AcknowledgementSchema,
  InvitedUserSchema,
  InviteUserInputSchema,
  ListUsersParamsSchema,
  RoleListSchema,
  RoleWorkspacePairsSchema,
  UpdateUserInputSchema,
  UserRoleListSchema,
  UserSchema,
  UserSummaryListSchema,
  WorkspaceListSchema,
  describeIssue,
  type DateInput,
  type InviteUserInput,
  type ListUsersParams,
  type MarketoInvitedUser,
  type MarketoRole,
  type MarketoUser,
  type MarketoUserRole,
  type MarketoUserSummary,
  type MarketoWorkspace,
  type RoleWorkspacePair,
  type UpdateUserInput,
} from './schemas';

export const USERS_PATH = '/userservice/management/v1/users';
export const MAX_PAGE_SIZE = 200;

export interface RequestOptions {
  /** Aborts waiting for a budget slot, a token or the response (for example a cancelled activity). */
  signal?: AbortSignal;
}

function invalidArgument(endpoint: string, message: string): MarketoApiError {
  return MarketoApiError.from({
    code: CLIENT_ERROR_CODES.invalidArgument,
    now: Date.now(),
    endpoint,
    message,
  });
}

function checked<S extends z.ZodType>(schema: S, value: unknown, endpoint: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidArgument(endpoint, `invalid input at ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/** The encoded `{userid}` segment; refuses values that would change the path's shape. */
function userSegment(userid: string, endpoint: string): string {
  if (typeof userid !== 'string' || userid.trim() === '' || userid === '.' || userid === '..') {
    throw invalidArgument(endpoint, 'userid must be a non-empty user id');
  }
  return encodeURIComponent(userid);
}

function dateForInvite(value: DateInput): string {
  return value instanceof Date ? formatIsoDateSeconds(value) : value;
}

function dateForUpdate(value: DateInput): string {
  return value instanceof Date ? formatMarketoDate(value) : value;
}

export class MarketoUserManagement {
  protected readonly http: MarketoHttp;

  constructor(http: MarketoHttp) {
    this.http = http;
  }

  /** One page of users; `pageOffset` counts users, not pages. */
  async listUsers(params: ListUsersParams = {}, options: RequestOptions = {}): Promise<MarketoUserSummary[]> {
    const template = `${USERS_PATH}/allusers.json`;
    const { pageOffset, pageSize } = checked(ListUsersParamsSchema, params, `GET ${template}`);
    return await this.http.request({
      method: 'GET',
      template,
      path: template,
      query: { pageOffset, pageSize },
      schema: UserSummaryListSchema,
      signal: options.signal,
    });
  }

  /**
   * Every user, page by page, until a page comes back shorter than `pageSize`. A full page that brings
   * no user not seen before means the server ignores the offset: that is reported, not looped on.
   */
  async *allUsers(
    pageSize: number = MAX_PAGE_SIZE,
    options: RequestOptions = {},
  ): AsyncGenerator<MarketoUserSummary, void, undefined> {
    let pageOffset = 0;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.listUsers({ pageOffset, pageSize }, options);
      let fresh = 0;
      for (const user of page) {
        const key = `${user.id ?? ''}|${user.userid}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fresh += 1;
        yield user;
      }
      if (page.length < pageSize) return;
      if (fresh === 0) {
        throw MarketoApiError.from({
          code: CLIENT_ERROR_CODES.invalidResponse,
          now: Date.now(),
          endpoint: `GET ${USERS_PATH}/allusers.json`,
          message: `paging did not advance at pageOffset ${pageOffset}`,
        });
      }
      pageOffset += page.length;
    }
  }

  /**
   * Invites a user; with `apiOnly: true` the user is usable at once (no email to accept). Resolves when
   * Marketo acknowledged; read the user back with `getUser` (or `getInvitedUser` while pending).
   */
  async inviteUser(input: InviteUserInput, options: RequestOptions = {}): Promise<void> {
    const template = `${USERS_PATH}/invite.json`;
    const valid = checked(InviteUserInputSchema, input, `POST ${template}`);
    const body = {
      ...valid,
      ...(valid.expiresAt !== undefined ? { expiresAt: dateForInvite(valid.expiresAt) } : {}),
    };
    await this.http.request({
      method: 'POST',
      template,
      path: template,
      body,
      schema: AcknowledgementSchema,
      signal: options.signal,
    });
  }

  /** A pending (not yet accepted) invitation. */
  async getInvitedUser(userid: string, options: RequestOptions = {}): Promise<MarketoInvitedUser> {
    return await this.#byUser('GET', userid, 'invite.json', InvitedUserSchema, options);
  }

  async deleteInvite(userid: string, options: RequestOptions = {}): Promise<void> {
    await this.#byUser('POST', userid, 'invite/delete.json', AcknowledgementSchema, options);
  }

  /** An accepted user (API-only users are accepted at once). */
  async getUser(userid: string, options: RequestOptions = {}): Promise<MarketoUser> {
    return await this.#byUser('GET', userid, 'user.json', UserSchema, options);
  }

  /** Changes the given attributes and returns the whole user record after the change. */
  async updateUser(
    userid: string,
    patch: UpdateUserInput,
    options: RequestOptions = {},
  ): Promise<MarketoUser> {
    const endpoint = `POST ${USERS_PATH}/{userid}/update.json`;
    const valid = checked(UpdateUserInputSchema, patch, endpoint);
    const body = {
      ...valid,
      ...(valid.expiresAt !== undefined ? { expiresAt: dateForUpdate(valid.expiresAt) } : {}),
    };
    return await this.#byUser('POST', userid, 'update.json', UserSchema, options, body);
  }

  /** Permanent. Fails with 611 while the user still owns a custom service. */
  async deleteUser(userid: string, options: RequestOptions = {}): Promise<void> {
    await this.#byUser('POST', userid, 'delete.json', AcknowledgementSchema, options);
  }

  async getUserRoles(userid: string, options: RequestOptions = {}): Promise<MarketoUserRole[]> {
    return await this.#byUser('GET', userid, 'roles.json', UserRoleListSchema, options);
  }

  /** Adds role/workspace pairs; returns the user's whole list after the change. */
  async addUserRoles(
    userid: string,
    pairs: readonly RoleWorkspacePair[],
    options: RequestOptions = {},
  ): Promise<MarketoUserRole[]> {
    const endpoint = `POST ${USERS_PATH}/{userid}/roles/create.json`;
    const body = checked(RoleWorkspacePairsSchema, pairs, endpoint);
    return await this.#byUser('POST', userid, 'roles/create.json', UserRoleListSchema, options, body);
  }

  /** Removes role/workspace pairs; returns the pairs that remain. */
  async removeUserRoles(
    userid: string,
    pairs: readonly RoleWorkspacePair[],
    options: RequestOptions = {},
  ): Promise<MarketoUserRole[]> {
    const endpoint = `POST ${USERS_PATH}/{userid}/roles/delete.json`;
    const body = checked(RoleWorkspacePairsSchema, pairs, endpoint);
    return await this.#byUser('POST', userid, 'roles/delete.json', UserRoleListSchema, options, body);
  }

  async listRoles(options: RequestOptions = {}): Promise<MarketoRole[]> {
    const template = `${USERS_PATH}/roles.json`;
    return await this.http.request({
      method: 'GET',
      template,
      path: template,
      schema: RoleListSchema,
      signal: options.signal,
    });
  }

  async listWorkspaces(options: RequestOptions = {}): Promise<MarketoWorkspace[]> {
    const template = `${USERS_PATH}/workspaces.json`;
    return await this.http.request({
      method: 'GET',
      template,
      path: template,
      schema: WorkspaceListSchema,
      signal: options.signal,
    });
  }

  async #byUser<S extends z.ZodType>(
    method: 'GET' | 'POST',
    userid: string,
    suffix: string,
    schema: S,
    options: RequestOptions,
    body?: unknown,
  ): Promise<z.output<S>> {
    const template = `${USERS_PATH}/{userid}/${suffix}`;
    const path = `${USERS_PATH}/${userSegment(userid, `${method} ${template}`)}/${suffix}`;
    return await this.http.request({ method, template, path, body, schema, signal: options.signal });
  }
}
