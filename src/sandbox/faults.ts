import { z } from 'zod';

const probability = z.number().min(0).max(1);

/** Unknown keys are refused so that a typo in a chaos test fails loudly instead of injecting nothing. */
export const faultConfigSchema = z.strictObject({
  '5xx': probability.optional(),
  '606': probability.optional(),
  '615': probability.optional(),
  '604': probability.optional(),
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  latencyProbability: probability.optional(),
  dropAfterCommit: probability.optional(),
  tokenExpiry: probability.optional(),
  identity5xx: probability.optional(),
  seed: z.number().int().optional(),
});

export type FaultConfig = Omit<z.infer<typeof faultConfigSchema>, 'seed'>;

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
   * Draws only for kinds that are switched on, so the draws of one configuration do not depend on
   * kinds that are off: the same seed and the same request sequence give the same faults.
   */
  fires(kind: Exclude<FaultKind, 'latency'>): boolean {
    const p = this.current[kind] ?? 0;
    return p > 0 && this.random() < p;
  }

  /** Extra latency for this request, or 0. */
  latency(): number {
    const ms = this.current.latencyMs ?? 0;
    if (ms <= 0) return 0;
    const p = this.current.latencyProbability ?? 1;
    return p > 0 && this.random() < p ? ms : 0;
  }

  pick<T>(choices: readonly [T, ...T[]]): T {
    const index = Math.floor(this.random() * choices.length);
    return choices[Math.min(index, choices.length - 1)] ?? choices[0];
  }
}
