import fs from 'node:fs';
import { z } from 'zod';
import { sweepPolicySchema, type SweepPolicyInput } from '../../domain/sweep-policy';
import { formatIssues } from '../../domain/lifecycle-request';
import { UsageError } from '../errors';

export const POLICY_OPTIONS = {
  policy: { type: 'string' },
  'max-lifetime': { type: 'string' },
  'max-lifetime-from': { type: 'string' },
  'require-expiry': { type: 'string' },
  grace: { type: 'string' },
  'no-lock-expired': { type: 'boolean' },
  exempt: { type: 'string' },
  'max-idle': { type: 'string' },
  'idle-notify-after': { type: 'string' },
} as const;

export const POLICY_HELP = `Policy (a JSON file with --policy FILE, and/or flags; flags win):
  --max-lifetime 90d            longest access, from first sight by the sweep (or --max-lifetime-from creation)
  --require-expiry set|report|off   users with no expiry get one (now + --grace, default 7d), are listed, or left
  --no-lock-expired             only report users past their expiry that are not locked (default: lock them)
  --exempt a@x.com,*@corp.com   emails or patterns never touched
  --max-idle 45d                lock API-only users with no call for this long (from the usage ledger: see
                                schedule-usage); a managed one is revoked through its lifecycle
  --idle-notify-after 30d       warn (in the sweep's notifications) past this; default two thirds of --max-idle
  Policy file example: {"maxLifetimeMs":"90d","requireExpiry":"set","expiryGraceMs":"7d","exempt":["*@corp.example.com"],
                        "maxIdle":{"lockAfterMs":"45d","notifyAfterMs":"30d"}}
`;

type PolicyValues = {
  [K in keyof typeof POLICY_OPTIONS]?: (typeof POLICY_OPTIONS)[K]['type'] extends 'boolean'
    ? boolean
    : string;
};

/** `--max-idle` and `--idle-notify-after` over the file's `maxIdle`; the notice alone needs a lock to precede. */
function idleFromFlags(values: PolicyValues, fromFile: unknown): { maxIdle?: unknown } {
  const lock = values['max-idle'];
  const notify = values['idle-notify-after'];
  if (lock === undefined && notify === undefined) return {};
  const base = typeof fromFile === 'object' && fromFile !== null ? (fromFile as Record<string, unknown>) : {};
  if (lock === undefined && base.lockAfterMs === undefined) {
    throw new UsageError([
      'idle-notify-after: only with --max-idle (or maxIdle.lockAfterMs in the policy file)',
    ]);
  }
  return {
    maxIdle: {
      ...base,
      ...(lock !== undefined ? { lockAfterMs: lock } : {}),
      ...(notify !== undefined ? { notifyAfterMs: notify } : {}),
    },
  };
}

/** The file's policy with the flags on top, validated as a whole so problems name the field. */
export function policyFromFlags(values: PolicyValues): SweepPolicyInput | undefined {
  let fromFile: Record<string, unknown> = {};
  if (values.policy !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(values.policy, 'utf8');
    } catch (error) {
      throw new UsageError([
        `policy: cannot read ${values.policy} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      ]);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      fromFile = parsed as Record<string, unknown>;
    } catch (error) {
      throw new UsageError([`policy: ${values.policy} is not a JSON object (${(error as Error).message})`]);
    }
  }
  const merged: Record<string, unknown> = {
    ...fromFile,
    ...(values['max-lifetime'] !== undefined ? { maxLifetimeMs: values['max-lifetime'] } : {}),
    ...(values['max-lifetime-from'] !== undefined ? { maxLifetimeFrom: values['max-lifetime-from'] } : {}),
    ...(values['require-expiry'] !== undefined ? { requireExpiry: values['require-expiry'] } : {}),
    ...(values.grace !== undefined ? { expiryGraceMs: values.grace } : {}),
    ...(values['no-lock-expired'] ? { lockExpired: false } : {}),
    ...idleFromFlags(values, fromFile.maxIdle),
    ...(values.exempt !== undefined
      ? {
          exempt: values.exempt
            .split(',')
            .map((e) => e.trim())
            .filter(Boolean),
        }
      : {}),
  };
  if (Object.keys(merged).length === 0) return undefined;
  const checked = sweepPolicySchema.safeParse(merged);
  if (!checked.success) {
    // An unknown key belongs to no field, so formatIssues names it "input": name the key itself instead, with
    // the keys a policy has, since a typo is the usual cause.
    const known = Object.keys(sweepPolicySchema.shape).join(', ');
    const unknown = checked.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `policy.${k}: unknown key (a policy has ${known})`)
        : [],
    );
    const others = checked.error.issues.filter((i) => i.code !== 'unrecognized_keys');
    const rest = others.length ? formatIssues(new z.ZodError(others)).map((p) => `policy.${p}`) : [];
    throw new UsageError([...unknown, ...rest]);
  }
  return checked.data;
}
