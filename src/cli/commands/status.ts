import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK } from '../errors';
import { describeUsage } from '../../lifecycle-usage';
import { describeStatus } from './format';
import type { Command } from './types';

export const statusCommand: Command = {
  help: `Usage: marketo-api-users status EMAIL [--json] [--data-dir DIR]

Examples:
  marketo-api-users status crm-sync@example.com
  marketo-api-users status crm-sync@example.com --json | jq .phase
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, COMMON_OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.email(email);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const status = await client.status(email);
      if (output.json) output.result(status);
      else {
        const lines = describeStatus(status);
        // Beside the expiry, where a reviewer weighs whether the access is still needed.
        const after = lines.findIndex((line) => line.startsWith('expires at:')) + 1;
        lines.splice(after, 0, `last used:  ${describeUsage(status)}`);
        for (const line of lines) output.line(line);
      }
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
