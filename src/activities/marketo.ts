import { ApplicationFailure } from '@temporalio/common';
import { isMarketoApiError } from '../marketo/errors';
import type { MarketoUser } from '../marketo/schemas';
import type { ActivityDeps } from './deps';
import type { InviteApiOnlyUserInput, MarketoActivities, MarketoUserView, RolePairView } from './types';

const pairs = (roles: { accessRoleId: number; workspaceId: number }[]): RolePairView[] =>
  roles.map((r) => ({ accessRoleId: r.accessRoleId, workspaceId: r.workspaceId }));

function view(user: MarketoUser): MarketoUserView {
  return {
    userid: user.userid,
    id: user.id ?? 0,
    emailAddress: user.emailAddress,
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    apiOnly: user.apiOnly,
    isLocked: user.isLocked,
    lockedReason: user.lockedReason ?? null,
    expiresAt: user.expiresAt ? user.expiresAt.toISOString() : null,
    roles: pairs(user.userRoleWorkspaces),
    createdAt: user.createdAt ? user.createdAt.toISOString() : null,
  };
}

function isKind(error: unknown, kind: string): boolean {
  return isMarketoApiError(error) && error.kind === kind;
}

/** null for a user Marketo does not have (any more): the wanted end state for most callers. */
async function orGone<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (isKind(error, 'not_found')) return null;
    throw error;
  }
}

type MarketoDeps = Pick<ActivityDeps, 'marketo' | 'secrets'>;

/** Each makes one User Management call, so the Marketo queue's rate limit counts calls. */
export function createMarketoActivities({ marketo, secrets }: MarketoDeps): MarketoActivities {
  const getUserOrNull = (userid: string) => orGone(async () => view(await marketo.getUser(userid)));
  const updateExpiry = (userid: string, expiresAt: Date) =>
    orGone(async () => view(await marketo.updateUser(userid, { expiresAt })));

  return {
    listRoles: async () => (await marketo.listRoles()).map((r) => ({ id: r.id, name: r.name, type: r.type })),

    listUsersPage: async (pageOffset, pageSize) =>
      (await marketo.listUsers({ pageOffset, pageSize })).map((u) => ({
        userid: u.userid,
        email: u.emailAddress,
        apiOnly: u.apiOnly,
      })),

    listWorkspaces: async () => (await marketo.listWorkspaces()).map((w) => ({ id: w.id, name: w.name })),

    getUser: (userid) => getUserOrNull(userid),

    inviteApiOnlyUser: (input) => inviteApiOnlyUser(marketo, input),

    setUserExpiry: (userid, expiresAt) => updateExpiry(userid, new Date(expiresAt)),

    expireUserNow: (userid) => updateExpiry(userid, new Date()),

    setUserNames: (userid, { firstName, lastName }) =>
      orGone(async () => view(await marketo.updateUser(userid, { firstName, lastName }))),

    addUserRoles: (userid, wanted) => orGone(async () => pairs(await marketo.addUserRoles(userid, wanted))),

    removeUserRoles: (userid, unwanted) =>
      orGone(async () => pairs(await marketo.removeUserRoles(userid, unwanted))),

    deleteUser: async (userid) => {
      try {
        await marketo.deleteUser(userid);
        return 'deleted' as const;
      } catch (error) {
        if (isKind(error, 'not_found')) return 'gone' as const;
        if (isMarketoApiError(error) && error.code === '611') return 'in-use-by-service' as const;
        throw error;
      }
    },

    confirmUserLocked: async (input) =>
      confirmUserLocked({ marketo, secrets }, await getUserOrNull(input.userid), input),
  };
}

async function inviteApiOnlyUser(
  marketo: MarketoDeps['marketo'],
  input: InviteApiOnlyUserInput,
): Promise<'invited' | 'already-exists'> {
  try {
    await marketo.inviteUser({
      emailAddress: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      userRoleWorkspaces: [{ accessRoleId: input.roleId, workspaceId: input.workspaceId }],
      apiOnly: true,
      expiresAt: new Date(input.expiresAt),
      ...(input.reason ? { reason: input.reason } : {}),
    });
    return 'invited';
  } catch (error) {
    // Our own earlier attempt (an answer lost on the way) or someone else's user: the workflow decides.
    if (isKind(error, 'conflict')) return 'already-exists';
    throw error;
  }
}

/** `user` is the user as just read (one call); identity calls, which Marketo does not count, do the rest. */
async function confirmUserLocked(
  { marketo, secrets }: MarketoDeps,
  user: MarketoUserView | null,
  { secretRef, clientId }: { secretRef?: string; clientId?: string },
): Promise<'locked' | 'gone' | 'token-refused'> {
  if (!user) return 'gone';
  if (user.isLocked) return 'locked';
  const credentials = secretRef ? await secrets.get(secretRef) : undefined;
  if (credentials && (!clientId || credentials.clientId === clientId)) {
    try {
      await marketo.verifyCredentials(credentials.clientId, credentials.clientSecret);
    } catch (error) {
      if (isKind(error, 'invalid_credentials')) return 'token-refused';
      throw error;
    }
  }
  throw ApplicationFailure.create({
    type: 'NotLockedYet',
    message: 'Marketo does not show the user locked yet and its service still gets tokens; retrying.',
    nonRetryable: false,
  });
}
