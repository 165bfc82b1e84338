import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK } from '../errors';
import type { Command } from './types';

export const setupNamespaceCommand: Command = {
  help: `Usage: marketo-api-users setup-namespace [--json] [--data-dir DIR]

Registers the lifecycle's search attributes (MauPhase, MauExpiresAt, MauInstance, MauRole, MauOwnerTeam,
MauManagedBy) on the namespace through Temporal's operator API, for a cluster of your own: lifecycles cannot run
on a namespace without them. Safe to run again: what is registered already is reported as found. \`up\` and
\`demo\` register them on their dev server themselves.

Examples:
  TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=marketo marketo-api-users setup-namespace
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, COMMON_OPTIONS);
    const output = makeOutput(values.json === true);
    const { LifecycleClient } = clientApi();
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const report = await client.setupNamespace();
      if (output.json) {
        output.result(report);
        return EXIT_OK;
      }
      output.line(`Namespace ${report.namespace}:`);
      output.line(`  added: ${report.added.length ? report.added.join(', ') : 'none'}`);
      output.line(`  already registered: ${report.found.length ? report.found.join(', ') : 'none'}`);
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
