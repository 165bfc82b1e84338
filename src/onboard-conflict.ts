/**
 * Onboarding an email whose lifecycle runs starts nothing: it is the same request again (found, exit 0) or a
 * different one, which must not be ignored. This compares what a re-onboarding asks for with the request the
 * running lifecycle was started with, field by field.
 */
import { formatDuration, formatOptionalDuration, MIN_LIFETIME_MS } from './domain/durations';
import { toWholeSecond, type LifecycleRequest } from './domain/lifecycle-request';
import { samePermissions } from './domain/permissions';

export interface OnboardDifference {
  /** The field as the client API names it: `firstName`, `role.permissions`, `expiresIn`. */
  field: string;
  /** The running lifecycle's value, as text (strings quoted). */
  running: string;
  requested: string;
}

/**
 * A relative expiry (`expiresIn: '30d'`) counts from "now", which is never the running lifecycle's start: it
 * matches when it is the lifetime the lifecycle was given (its requested or current expiry minus its start)
 * within this much, which absorbs the delay between the first call and the start, and clock skew.
 */
export const LIFETIME_TOLERANCE_MS = MIN_LIFETIME_MS;

/** The optional parts of an onboarding input that were given: parts left out are not asked for. */
interface GivenParts {
  role: { permissions?: unknown; workspace?: unknown };
  reason?: unknown;
  owner?: unknown;
  ticket?: unknown;
  service?: { displayName?: unknown; description?: unknown };
  policy?: object;
}

export interface Reonboarding {
  /** The request this onboarding would have started (validated, expiry resolved). */
  request: LifecycleRequest;
  /** The relative expiry in milliseconds, when the expiry was given as one. */
  expiresInMs?: number;
  /** The input as given, to tell a default from a value asked for. */
  input: GivenParts;
}

const quoted = (value: string | number | undefined): string =>
  value === undefined ? 'none' : JSON.stringify(value);

function expiryDifference(
  asked: Reonboarding,
  running: LifecycleRequest,
  current: { createdAt: string; expiresAt: string },
): OnboardDifference | undefined {
  // A person may repeat the original request, or the expiry as it stands after an extension.
  const options = [running.expiresAt, current.expiresAt];
  if (asked.expiresInMs === undefined) {
    const wanted = toWholeSecond(asked.request.expiresAt);
    if (options.some((iso) => toWholeSecond(iso) === wanted)) return undefined;
    return { field: 'expiresAt', running: current.expiresAt, requested: wanted };
  }
  const lifetimes = options.map((iso) => Date.parse(iso) - Date.parse(current.createdAt));
  if (lifetimes.some((ms) => Math.abs(ms - asked.expiresInMs!) < LIFETIME_TOLERANCE_MS)) return undefined;
  const minutes = Math.round(lifetimes[1]! / 60_000) * 60_000;
  return {
    field: 'expiresIn',
    running: formatDuration(minutes),
    requested: formatDuration(asked.expiresInMs),
  };
}

/** Every field in which the re-onboarding asks for something else than the running lifecycle has. */
export function onboardDifferences(
  asked: Reonboarding,
  running: LifecycleRequest,
  current: { createdAt: string; expiresAt: string },
): OnboardDifference[] {
  const { request, input } = asked;
  const differences: OnboardDifference[] = [];
  const text = (field: string, was: string | number | undefined, now: string | number | undefined) => {
    if (was !== now) differences.push({ field, running: quoted(was), requested: quoted(now) });
  };
  text('firstName', running.firstName, request.firstName);
  text('lastName', running.lastName, request.lastName);
  // Marketo finds a role by its name without regard to case, and so does the lifecycle.
  if (running.role.name.toLowerCase() !== request.role.name.toLowerCase()) {
    text('role.name', running.role.name, request.role.name);
  }
  if (
    input.role.permissions !== undefined &&
    !samePermissions(running.role.permissions, request.role.permissions)
  ) {
    differences.push({
      field: 'role.permissions',
      running: JSON.stringify(running.role.permissions),
      requested: JSON.stringify(request.role.permissions),
    });
  }
  if (input.role.workspace !== undefined)
    text('role.workspace', running.role.workspace, request.role.workspace);
  if (input.reason !== undefined) text('reason', running.reason, request.reason);
  if (input.owner !== undefined) text('owner', running.owner, request.owner);
  if (input.ticket !== undefined) text('ticket', running.ticket, request.ticket);
  if (input.service?.displayName !== undefined)
    text('service.displayName', running.service.displayName, request.service.displayName);
  if (input.service?.description !== undefined)
    text('service.description', running.service.description, request.service.description);
  for (const key of Object.keys(input.policy ?? {}) as (keyof LifecycleRequest['policy'])[]) {
    // Compared as written: a list of lead times is equal by its values, not by identity.
    const was = formatOptionalDuration(running.policy[key]);
    const now = formatOptionalDuration(request.policy[key]);
    if (was !== now) differences.push({ field: `policy.${key}`, running: was, requested: now });
  }
  const expiry = expiryDifference(asked, running, current);
  if (expiry) differences.push(expiry);
  return differences;
}
