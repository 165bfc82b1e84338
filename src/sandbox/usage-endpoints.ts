/**
 * Routing of Marketo's Usage API (standard REST under `/rest/v1/stats/`). Standard REST answers every
 * outcome with HTTP 200 and a `success` flag, unlike User Management.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type Answer } from './http';
import type { UsageLedger } from './usage';

export const STATS_PREFIX = '/rest/v1/stats/';

const ROUTES: Record<string, (ledger: UsageLedger) => unknown[]> = {
  'usage.json': (ledger) => ledger.usageToday(),
  'usage/last7days.json': (ledger) => ledger.usageLast7Days(),
  'errors.json': (ledger) => ledger.errorsToday(),
  'errors/last7days.json': (ledger) => ledger.errorsLast7Days(),
};

export type StatsRoute = (ledger: UsageLedger) => unknown[];

/** The route of `path`, or a 610 / 605 refusal; `path` starts with STATS_PREFIX. */
export function matchStatsRoute(path: string, method: string): StatsRoute {
  const route = Object.hasOwn(ROUTES, path.slice(STATS_PREFIX.length))
    ? ROUTES[path.slice(STATS_PREFIX.length)]
    : undefined;
  if (!route) throw new ApiError(404, '610', 'Requested resource not found');
  if (method !== 'GET') throw new ApiError(405, '605', 'HTTP Method not supported; use GET');
  return route;
}

function requestId(): string {
  return `${randomBytes(2).toString('hex')}#${Date.now().toString(16)}`;
}

export function statsSuccess(result: unknown[]): Answer {
  return { status: 200, body: { requestId: requestId(), success: true, result } };
}

/** A standard REST refusal: HTTP 200, `success: false`, the code in `errors`. */
export function statsFailure(error: ApiError): Answer {
  return {
    status: 200,
    body: { requestId: requestId(), success: false, errors: [{ code: error.code, message: error.message }] },
  };
}
