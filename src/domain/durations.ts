import { z } from 'zod';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,6})(s|m|h|d)$/;

export const MS_PER_DAY = UNIT_MS.d;
/**
 * Floors for what a person or pipeline asks for (the client API and the CLI): an access shorter than a
 * minute, or an operator deadline or reminder every few seconds, is a typo or a flood, never a plan. The
 * workflow itself takes shorter ones: tests and the chaos run drive it in seconds.
 */
export const MIN_LIFETIME_MS = UNIT_MS.m;
export const MIN_OPERATOR_INTERVAL_MS = UNIT_MS.m;
/** A rotation's overlap: long enough for a consumer to fetch the new secret (30s is for trying it out). */
export const MIN_OVERLAP_MS = 30 * UNIT_MS.s;
/** Attestation: asking an owner more often than hourly is noise, not review. */
export const MIN_ATTEST_EVERY_MS = UNIT_MS.h;
/** Scheduled rotations: more often than hourly would only churn services. */
export const MIN_ROTATE_EVERY_MS = UNIT_MS.h;

/** No policy duration needs more; a larger one is a typo (and `999999d` would overflow a Date). */
export const MAX_DURATION_MS = 10 * 365 * MS_PER_DAY;

/** `30d`, `12h`, `90m`, `45s` → milliseconds; undefined when the text is not one of those forms. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The shortest exact form: 604800000 → `7d`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** `7d`, `30d,7d,1d` for a list, or `none` where no duration is set (an optional policy). */
export function formatOptionalDuration(ms: number | readonly number[] | undefined): string {
  if (ms === undefined) return 'none';
  return typeof ms === 'number' ? formatDuration(ms) : ms.map(formatDuration).join(',');
}

/** A duration given as `30d`/`12h`/`90m`/`45s` or as milliseconds; always milliseconds after parsing. */
export const durationMsSchema = z
  .union(
    [
      z.number().int().positive(),
      z.string().transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined || ms <= 0) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration like 30d, 12h, 90m or 45s' });
          return z.NEVER;
        }
        return ms;
      }),
    ],
    { error: 'must be a duration like 30d, 12h, 90m or 45s' },
  )
  // After the union, so that `99999d` and its milliseconds meet the same cap with the same message.
  .refine((ms) => ms <= MAX_DURATION_MS, { message: 'must be at most 10 years (3650d)' });

/** A duration of at least `minMs`, refused in the words a person types (`must be at least 1m`). */
export function durationAtLeast(minMs: number) {
  return durationMsSchema.refine((ms) => ms >= minMs, {
    message: `must be at least ${formatDuration(minMs)}`,
  });
}
