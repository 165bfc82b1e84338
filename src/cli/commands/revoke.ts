import type { RevokeOptions } from '../../client';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK } from '../errors';
import type { Command } from './types';

const OPTIONS = { ...COMMON_OPTIONS, ...ACTOR_OPTION, reason: { type: 'string' } } as const;

export const revokeCommand: Command = {
  help: `Usage: marketo-api-users revoke EMAIL [--reason R] [--actor NAME] [--json] [--data-dir DIR]

Waits until the user is locked, then prints the outcome. Revoking an ended lifecycle changes nothing. The
audit log records --actor (default: your OS user name) and --reason.

Examples:
  marketo-api-users revoke crm-sync@example.com --reason "vendor offboarded"
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    const options: RevokeOptions = {
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      actor: actorOf(values.actor),
    };
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.revoke(email, options);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress(`revoking ${email}`);
      const status = await client.revoke(email, options);
      output.done();
      if (output.json) output.result(status);
      else output.line(`Revoked ${status.email}: ${status.deactivation?.outcome ?? status.phase}`);
      return EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};
