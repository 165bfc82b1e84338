import { FAULT_KINDS, type FaultKind } from './faults';

/** What the sandbox answered, for tests to assert on. Kept in memory only; a restart starts from zero. */
export interface SandboxCounters {
  userManagement: {
    /** Calls that passed authentication and were charged to the rate window and the daily quota. */
    charged: number;
    /** Genuine answers by Marketo code: "200" for success, else the first error code ("601", "1004", ...). */
    answersByCode: Record<string, number>;
    answersByStatus: Record<string, number>;
    /** Routed calls by endpoint, e.g. `POST {userid}/update.json`, whatever their outcome. */
    byEndpoint: Record<string, number>;
  };
  identity: {
    requests: number;
    tokensIssued: number;
    /** "200" or the OAuth `error` string, e.g. "invalid_client". */
    answersByCode: Record<string, number>;
  };
  /** Answers replaced (or requests stalled, for latency) by an injected fault; not in `answersByCode`. */
  injected: Record<FaultKind, number>;
  /** `/sandbox/*` calls refused in real-like mode for lack of the operator header. */
  forbiddenSandboxCalls: number;
  /** `/sandbox/*` calls refused for a foreign Host or Origin, a missing or wrong admin token, or not JSON. */
  refusedSandboxCalls: number;
  /** `/sandbox/*` calls that were served. */
  sandboxCalls: number;
  /** Requests for paths the sandbox does not know. */
  unknownPaths: number;
  /** Requests that threw inside the sandbox and got the catch-all 500: each one is a sandbox bug. */
  internalErrors: number;
}

export function emptyCounters(): SandboxCounters {
  return {
    userManagement: { charged: 0, answersByCode: {}, answersByStatus: {}, byEndpoint: {} },
    identity: { requests: 0, tokensIssued: 0, answersByCode: {} },
    injected: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
    forbiddenSandboxCalls: 0,
    refusedSandboxCalls: 0,
    sandboxCalls: 0,
    unknownPaths: 0,
    internalErrors: 0,
  };
}

export function bump(tally: Record<string, number>, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

export function copyCounters(counters: SandboxCounters): SandboxCounters {
  return structuredClone(counters);
}
