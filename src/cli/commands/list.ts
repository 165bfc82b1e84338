import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK } from '../errors';
import type { Command } from './types';

export const listCommand: Command = {
  help: `Usage: marketo-api-users list [--json] [--data-dir DIR]

Examples:
  marketo-api-users list
  marketo-api-users list --json | jq '.[] | select(.phase == "active")'
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, COMMON_OPTIONS);
    const output = makeOutput(values.json === true);
    const { LifecycleClient } = clientApi();
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const lifecycles = await client.list();
      if (output.json) {
        output.result(lifecycles);
        return EXIT_OK;
      }
      if (lifecycles.length === 0)
        output.line('No lifecycles yet: start one with `marketo-api-users onboard`.');
      const width = Math.max(5, ...lifecycles.map((l) => (l.email ?? '?').length));
      if (lifecycles.length) output.line(`${'EMAIL'.padEnd(width)}  ${'PHASE'.padEnd(17)}  EXPIRES AT`);
      for (const l of lifecycles) {
        output.line(`${(l.email ?? '?').padEnd(width)}  ${l.phase.padEnd(17)}  ${l.expiresAt ?? '-'}`);
      }
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
