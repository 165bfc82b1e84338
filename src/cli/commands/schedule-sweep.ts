import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import { POLICY_HELP, POLICY_OPTIONS, policyFromFlags } from './sweep-policy-flags';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...POLICY_OPTIONS,
  every: { type: 'string' },
  delete: { type: 'boolean' },
} as const;

/** What `--delete` may come with: nothing that shapes a schedule. */
const DELETE_FLAGS = new Set(['delete', 'json', 'data-dir']);

export const scheduleSweepCommand: Command = {
  help: `Usage: marketo-api-users schedule-sweep --every 1h [--policy FILE] [policy flags] [--json] [--data-dir DIR]
       marketo-api-users schedule-sweep --delete [--json] [--data-dir DIR]

Creates the schedule "marketo-api-users-sweep", or updates it when it exists. A sweep still running when
the next one is due is not doubled. Reports go to the notifications (log, or MARKETO_API_USERS_WEBHOOK_URL).
--every is at least 1m; --delete takes no other flag but --json and --data-dir.

${POLICY_HELP}
Examples:
  marketo-api-users schedule-sweep --every 1h --require-expiry set --max-lifetime 90d
  marketo-api-users schedule-sweep --delete
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    if (values.delete) {
      // --delete with a policy or an interval would silently drop them: say which, and change nothing.
      const others = Object.keys(values).filter((flag) => !DELETE_FLAGS.has(flag));
      if (others.length)
        throw new UsageError([
          `delete: takes no other flags (got ${others.map((f) => `--${f}`).join(', ')})`,
        ]);
    } else if (values.every === undefined) {
      throw new UsageError(['every: required (or --delete)']);
    }
    const policy = values.delete ? undefined : policyFromFlags(values);
    const { LifecycleClient, validateInput } = clientApi();
    if (!values.delete) validateInput.scheduleSweep({ every: values.every!, ...(policy ? { policy } : {}) });
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      if (values.delete) {
        const deleted = await client.deleteSweepSchedule();
        if (output.json) output.result({ deleted });
        else output.line(deleted ? 'The sweep schedule is deleted.' : 'There was no sweep schedule.');
        return EXIT_OK;
      }
      const scheduled = await client.scheduleSweep({ every: values.every!, ...(policy ? { policy } : {}) });
      if (output.json) output.result(scheduled);
      else
        output.line(
          `${scheduled.created ? 'Created' : 'Updated'} the sweep schedule: every ${scheduled.every}.`,
        );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
