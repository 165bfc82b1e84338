import { z } from 'zod';

const probability = z.number().min(0).max(1);

export const FAULT_KINDS = [
  '5xx',
  '606',
  '615',
  '604',
  'latency',
  'dropAfterCommit',
  'tokenExpiry',
  'identity5xx',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Where a request is served, which decides the kinds that can strike it. */
export type FaultScope = 'userManagement' | 'identity' | 'adminStandIn';

/**
 * The kinds each scope draws among, in the order of their slices of the unit interval. Faults that answer
 * instead of the endpoint and faults that stall or drop its answer share one draw, so that none of them
 * only ever sees the requests the others spared.
 */
const SCOPE_KINDS = {
  userManagement: ['tokenExpiry', '5xx', '606', '615', '604', 'latency', 'dropAfterCommit'],
  identity: ['identity5xx'],
  adminStandIn: ['5xx', 'latency', 'dropAfterCommit'],
} as const satisfies Record<FaultScope, readonly FaultKind[]>;

type Probabilities = { [K in Exclude<FaultKind, 'latency'>]?: number } & {
  latencyMs?: number;
  latencyProbability?: number;
};

function probabilityOf(config: Probabilities, kind: FaultKind): number {
  if (kind === 'latency') return (config.latencyMs ?? 0) > 0 ? (config.latencyProbability ?? 1) : 0;
  return config[kind] ?? 0;
}

/** Unknown keys are refused so that a typo in a chaos test fails loudly instead of injecting nothing. */
export const faultConfigSchema = z
  .strictObject({
    '5xx': probability.optional(),
    '606': probability.optional(),
    '615': probability.optional(),
    '604': probability.optional(),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    latencyProbability: probability.optional(),
    dropAfterCommit: probability.optional(),
    tokenExpiry: probability.optional(),
    identity5xx: probability.optional(),
    /**
     * Also strike the Admin UI stand-ins that create things (`POST /sandbox/roles`, `POST /sandbox/services`)
     * with `5xx`, latency and `dropAfterCommit`. Off by default: tests drive the sandbox through the other
     * `/sandbox/*` endpoints and must not be refused there.
     */
    adminStandIns: z.boolean().optional(),
    seed: z.number().int().optional(),
  })
  .superRefine((config, ctx) => {
    const total = SCOPE_KINDS.userManagement.reduce((sum, kind) => sum + probabilityOf(config, kind), 0);
    // One draw per request picks at most one kind, so the kinds of one scope share the unit interval.
    if (total > 1 + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        message:
          `the User Management fault probabilities (5xx, 606, 615, 604, tokenExpiry, dropAfterCommit, ` +
          `latencyProbability) add up to ${total}; at most one fault strikes a request, so lower them to a sum of 1 or less`,
      });
    }
  });

export type FaultConfig = Omit<z.infer<typeof faultConfigSchema>, 'seed'>;

/** mulberry32: tiny, fast and good enough to make a chaos run repeatable from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;
  private current: FaultConfig = {};
  private currentSeed: number;
  private readonly struckTally: Partial<Record<FaultScope, Partial<Record<FaultKind, number>>>> = {};

  constructor(seed: number) {
    this.currentSeed = seed;
    this.random = mulberry32(seed);
  }

  get seed(): number {
    return this.currentSeed;
  }

  get config(): FaultConfig {
    return { ...this.current };
  }

  /** Replaces the whole configuration: `{}` turns every fault off. A given seed restarts the sequence. */
  configure(config: FaultConfig, seed?: number): void {
    this.current = { ...config };
    if (seed !== undefined) {
      this.currentSeed = seed;
      this.random = mulberry32(seed);
    }
  }

  /**
   * The fault to inject into one request in `scope`, or undefined. One uniform draw per request against the
   * cumulative probabilities of the scope's kinds (see SCOPE_KINDS): kind k fires when the draw falls in
   * [p1 + … + p(k-1), p1 + … + pk), so each kind's effective rate is exactly its configured probability
   * (checking kinds one after another with a draw each would let a later kind fire only on the requests the
   * earlier ones spared). No draw when nothing in the scope is on, so kinds that are off do not shift the
   * sequence: the same seed and the same requests give the same faults.
   */
  draw(scope: FaultScope): FaultKind | undefined {
    if (scope === 'adminStandIn' && this.current.adminStandIns !== true) return undefined;
    const kinds: readonly FaultKind[] = SCOPE_KINDS[scope];
    if (!kinds.some((kind) => probabilityOf(this.current, kind) > 0)) return undefined;
    const u = this.random();
    let upper = 0;
    for (const kind of kinds) {
      const p = probabilityOf(this.current, kind);
      upper += p;
      if (p > 0 && u < upper) {
        const tally = (this.struckTally[scope] ??= {});
        tally[kind] = (tally[kind] ?? 0) + 1;
        return kind;
      }
    }
    return undefined;
  }

  /**
   * Faults drawn, by scope: the sandbox's counters add the scopes up, and a chaos run must show that the
   * admin stand-ins and the token endpoint were struck too. Since start; a new seed does not reset it.
   */
  get struck(): Partial<Record<FaultScope, Partial<Record<FaultKind, number>>>> {
    return structuredClone(this.struckTally);
  }

  /** The stall an injected `latency` fault adds. */
  get latencyMs(): number {
    return this.current.latencyMs ?? 0;
  }

  pick<T>(choices: readonly [T, ...T[]]): T {
    const index = Math.floor(this.random() * choices.length);
    return choices[Math.min(index, choices.length - 1)] ?? choices[0];
  }
}
