import type { ExtendOptions } from '../../client';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  'expires-at': { type: 'string' },
  by: { type: 'string' },
} as const;

export const extendCommand: Command = {
  help: `Usage: marketo-api-users extend EMAIL (--expires-at ISO | --by 30d|12h|90m|45s) [--actor NAME] [--json] [--data-dir DIR]

The new expiry must be later than the current one and within the maximum lifetime. The audit log records
--actor (default: your OS user name) as who extended it.

Examples:
  marketo-api-users extend crm-sync@example.com --by 30d
  marketo-api-users extend crm-sync@example.com --expires-at 2027-06-30T00:00:00Z --json
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    if (values['expires-at'] === undefined && values.by === undefined) {
      throw new UsageError(['expires-at: required (or --by)']);
    }
    const options: ExtendOptions = {
      ...(values['expires-at'] !== undefined ? { expiresAt: values['expires-at'] } : {}),
      ...(values.by !== undefined ? { by: values.by } : {}),
      actor: actorOf(values.actor),
    };
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.extend(email, options);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const status = await client.extend(email, options);
      if (output.json) output.result(status);
      else
        output.line(
          `Extended ${status.email}: expires at ${status.expiresAt} (extension ${status.extensions})`,
        );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
