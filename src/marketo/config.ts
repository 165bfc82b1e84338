/**
 * Marketo connection settings, from code or from the environment. Validation messages name the setting
 * and say what is wrong with it; they never repeat the value (the secret above all, but a base URL can
 * carry credentials too).
 */
import { z } from 'zod';
import { CallBudgetLimitsSchema, DEFAULT_CALL_BUDGET } from './call-budget';

export const DEFAULT_TIMEOUT_MS = 30_000;

export class MarketoConfigError extends Error {
  override readonly name = 'MarketoConfigError';
  /** The settings (environment variables or option names) that failed. */
  readonly settings: readonly string[];

  constructor(problems: readonly { setting: string; message: string }[]) {
    super(`Invalid Marketo configuration: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}`);
    this.settings = [...new Set(problems.map((p) => p.setting))];
  }
}

/**
 * Accepts what people paste: the instance root (`https://123-ABC-456.mktorest.com`), with a trailing slash,
 * or the "REST API endpoint" / "Identity endpoint" that Admin > Web Services shows (`.../rest`,
 * `.../identity`). Keeps any other path prefix (a proxy) and never ends with `/`.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('must use http or https');
  if (url.username || url.password) throw new Error('must not contain credentials');
  if (url.search || url.hash) throw new Error('must not have a query or a fragment');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/(?:rest|identity)$/i, '');
  if (path.includes('//')) throw new Error('must not contain an empty path segment');
  return `${url.origin}${path}`;
}

export const BaseUrlSchema = z.string().transform((raw, ctx) => {
  try {
    return normalizeBaseUrl(raw);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'is not a valid URL' });
    return z.NEVER;
  }
});

export const MarketoBudgetConfigSchema = z.union([z.literal('unlimited'), CallBudgetLimitsSchema]);

/** The settings of one Marketo connection. */
export const MarketoConfigSchema = z.object({
  baseUrl: BaseUrlSchema,
  clientId: z.string().trim().min(1, 'is required'),
  clientSecret: z.string().min(1, 'is required'),
  budget: MarketoBudgetConfigSchema.default(DEFAULT_CALL_BUDGET),
  timeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
});
export type MarketoConfig = z.output<typeof MarketoConfigSchema>;
export type MarketoConfigInput = z.input<typeof MarketoConfigSchema>;

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');
const positiveInt = z
  .string()
  .trim()
  .regex(/^[1-9]\d*$/, 'must be a positive integer')
  .transform(Number);

export const MarketoEnvSchema = z.object({
  MARKETO_BASE_URL: required,
  MARKETO_CLIENT_ID: required,
  MARKETO_CLIENT_SECRET: z.string({ error: 'is required' }).min(1, 'is required'),
  MARKETO_BUDGET_CALLS: z
    .union([z.literal('unlimited'), positiveInt], { error: "must be a positive integer or 'unlimited'" })
    .optional(),
  MARKETO_BUDGET_WINDOW_MS: positiveInt.optional(),
  MARKETO_BUDGET_CONCURRENCY: positiveInt.optional(),
  MARKETO_TIMEOUT_MS: positiveInt.optional(),
});
export type MarketoEnv = z.input<typeof MarketoEnvSchema>;

type Env = Readonly<Record<string, string | undefined>>;

function problemsOf(error: z.ZodError, names?: Readonly<Record<string, string>>) {
  return error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const top = String(issue.path[0] ?? '');
    return { setting: names?.[top] ?? (key || 'config'), message: issue.message };
  });
}

/** Validates settings given in code; errors name the option, never its value. */
export function parseMarketoConfig(input: MarketoConfigInput): MarketoConfig {
  const parsed = MarketoConfigSchema.safeParse(input, { reportInput: false });
  if (!parsed.success) throw new MarketoConfigError(problemsOf(parsed.error));
  return parsed.data;
}

/** True when the three connection variables are set (used to decide whether real-instance tests run). */
export function hasMarketoEnv(env: Env = process.env): boolean {
  return Boolean(env.MARKETO_BASE_URL && env.MARKETO_CLIENT_ID && env.MARKETO_CLIENT_SECRET);
}

/**
 * Reads `MARKETO_BASE_URL`, `MARKETO_CLIENT_ID`, `MARKETO_CLIENT_SECRET`, and optionally
 * `MARKETO_BUDGET_CALLS` (or `unlimited`), `MARKETO_BUDGET_WINDOW_MS`, `MARKETO_BUDGET_CONCURRENCY`,
 * `MARKETO_TIMEOUT_MS`.
 */
export function loadMarketoConfig(env: Env = process.env): MarketoConfig {
  const parsedEnv = MarketoEnvSchema.safeParse(env, { reportInput: false });
  if (!parsedEnv.success) throw new MarketoConfigError(problemsOf(parsedEnv.error));
  const e = parsedEnv.data;
  const budget =
    e.MARKETO_BUDGET_CALLS === 'unlimited'
      ? ('unlimited' as const)
      : {
          calls: e.MARKETO_BUDGET_CALLS ?? DEFAULT_CALL_BUDGET.calls,
          windowMs: e.MARKETO_BUDGET_WINDOW_MS ?? DEFAULT_CALL_BUDGET.windowMs,
          maxConcurrent: e.MARKETO_BUDGET_CONCURRENCY ?? DEFAULT_CALL_BUDGET.maxConcurrent,
        };
  const parsed = MarketoConfigSchema.safeParse(
    {
      baseUrl: e.MARKETO_BASE_URL,
      clientId: e.MARKETO_CLIENT_ID,
      clientSecret: e.MARKETO_CLIENT_SECRET,
      budget,
      timeoutMs: e.MARKETO_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS,
    },
    { reportInput: false },
  );
  if (!parsed.success) {
    throw new MarketoConfigError(
      problemsOf(parsed.error, {
        baseUrl: 'MARKETO_BASE_URL',
        clientId: 'MARKETO_CLIENT_ID',
        clientSecret: 'MARKETO_CLIENT_SECRET',
        budget: 'MARKETO_BUDGET_*',
        timeoutMs: 'MARKETO_TIMEOUT_MS',
      }),
    );
  }
  return parsed.data;
}
