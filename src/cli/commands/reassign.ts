import type { ReassignOptions } from '../../client';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  owner: { type: 'string' },
  ticket: { type: 'string' },
  'clear-owner': { type: 'boolean' },
  'clear-ticket': { type: 'boolean' },
  reason: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** A field to set, to clear, or to leave; giving both is a usage error. */
function fieldChange(values: Values, field: 'owner' | 'ticket'): string | null | undefined {
  const clear = values[`clear-${field}`] === true;
  if (clear && values[field] !== undefined)
    throw new UsageError([`${field}: give --${field} or --clear-${field}, not both`]);
  return clear ? null : values[field];
}

function optionsOf(values: Values): ReassignOptions {
  const owner = fieldChange(values, 'owner');
  const ticket = fieldChange(values, 'ticket');
  if (owner === undefined && ticket === undefined)
    throw new UsageError(['owner: give --owner, --ticket, --clear-owner or --clear-ticket']);
  return {
    ...(owner !== undefined ? { owner } : {}),
    ...(ticket !== undefined ? { ticket } : {}),
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    actor: actorOf(values.actor),
  };
}

export const reassignCommand: Command = {
  help: `Usage: marketo-api-users reassign EMAIL [--owner EMAIL | --clear-owner] [--ticket KEY | --clear-ticket] [--reason TEXT] [--actor NAME] [--json] [--data-dir DIR]

Hands EMAIL's access to another owner, or files it under another ticket, in place: the Marketo user, its custom
service and the credentials the integration holds stay as they are (changing the names, role or service needs
a new lifecycle; changing who vouches for it does not). The owner is whom reminders and attestation requests
name from now on. The timeline and the audit log record the change, --actor (default: your OS user name) and
--reason. An owner cannot be cleared while the policy asks the owner to attest; an unknown, ending or ended
lifecycle is refused (exit 2), and nothing is changed.

Examples:
  marketo-api-users reassign crm-sync@example.com --owner new-owner@example.com --ticket OPS-4321 --reason "team moved"
  marketo-api-users reassign bi-export@example.com --clear-ticket --json
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    const options = optionsOf(values);
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.reassign(email, options);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const status = await client.reassign(email, options);
      if (output.json) output.result(status);
      else
        output.line(
          `Reassigned ${status.email}: owner ${status.owner ?? 'none'}, ticket ${status.ticket ?? 'none'}; its credentials are unchanged`,
        );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
