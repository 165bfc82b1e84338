import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { formatIssues } from '../../domain/lifecycle-request';
import { EXIT_OK, UsageError } from '../errors';
import type { LastUsed } from '../../client';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  phase: { type: 'string' },
  'expiring-within': { type: 'string' },
  role: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** Short for a table: `2030-06-20 (3d idle)`, `never (since 2030-06-15)`, or `-` when unknown. */
function lastUsedCell(usage: LastUsed): string {
  if (usage.lastUsedAt !== null) return `${usage.lastUsedAt} (${usage.idleDays ?? 0}d idle)`;
  if (usage.neverUsedSince !== null) return `never (since ${usage.neverUsedSince})`;
  return '-';
}

export const listCommand: Command = {
  help: `Usage: marketo-api-users list [--phase PHASE] [--expiring-within 14d] [--role NAME] [--limit N]
                              [--json] [--data-dir DIR]

One visibility query per page of results (Temporal's search attributes); no lifecycle is asked anything.
LAST USED comes from the usage ledger (one store query; see schedule-usage), at day precision.
  --phase            provisioning, awaiting-operator, active, deactivated or failed
  --expiring-within  an expiry no later than this far from now (an expiry already past counts)
  --role             the role name, exactly
  --limit            at most this many lifecycles, newest first

Examples:
  marketo-api-users list
  marketo-api-users list --phase active --expiring-within 14d --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const { LifecycleClient, listFilterSchema } = clientApi();
    const filter = {
      phase: values.phase,
      expiringWithin: values['expiring-within'],
      role: values.role,
      limit: values.limit === undefined ? undefined : Number(values.limit),
    };
    const parsed = listFilterSchema.safeParse(filter);
    if (!parsed.success) throw new UsageError(formatIssues(parsed.error));
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const lifecycles = await client.list(parsed.data);
      if (output.json) {
        output.result(lifecycles);
        return EXIT_OK;
      }
      if (lifecycles.length === 0)
        output.line('No lifecycles yet: start one with `marketo-api-users onboard`.');
      const width = Math.max(5, ...lifecycles.map((l) => (l.email ?? '?').length));
      if (lifecycles.length) {
        output.line(`${'EMAIL'.padEnd(width)}  ${'PHASE'.padEnd(17)}  ${'EXPIRES AT'.padEnd(24)}  LAST USED`);
      }
      for (const l of lifecycles) {
        const row = `${(l.email ?? '?').padEnd(width)}  ${l.phase.padEnd(17)}  ${(l.expiresAt ?? '-').padEnd(24)}`;
        output.line(`${row}  ${lastUsedCell(l)}`);
      }
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
