import fs from 'node:fs';
import { readDesiredState } from '../../desired-state/parse-file';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi, desiredStateApi } from '../client-api';
import { EXIT_BAD_INPUT, EXIT_CHANGES_PENDING, EXIT_OK, UsageError } from '../errors';
import { printPlan } from '../plan-output';
import type { Command } from './types';

const OPTIONS = { ...COMMON_OPTIONS, file: { type: 'string', short: 'f' }, out: { type: 'string' } } as const;

export const planCommand: Command = {
  help: `Usage: marketo-api-users plan -f users.yaml [--out plan.json] [--json] [--data-dir DIR]

Compares the desired-state file with the running lifecycles of this Marketo instance and with Marketo's users
(one listing, read by a worker) and prints what an apply would do: create, adopt (a hand-made API-only user the
file now describes: what adopting changes is listed), extend, replace (names or role changed: revoke and onboard
again), revoke (an entry an apply created, now removed), refused (shorten; a protected user: the file's
protected list, this product's own API user, a holder of a system role), left alone (started by onboard, not
active yet), no change. On a real instance each change lists the operator steps it needs in the admin console.
Changes nothing. Every mistake in the file is reported as file:line:column field: problem.
  --out   also save the plan, for \`apply plan.json\` (refused if the lifecycles or Marketo's users change in between)
  --json  the counts of each kind, \`changes\` (true or false) and \`plan\`, the document --out saves
          (each action lists its operatorSteps where the instance needs a person in the admin console)

Exit codes: 0 nothing would change; 4 an apply would change something; 2 bad file or refused entries;
1 failure (Temporal or a worker not answering).

Examples:
  marketo-api-users plan -f users.yaml
  marketo-api-users plan -f users.yaml --out plan.json --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    if (!values.file) throw new UsageError(['file: required (-f users.yaml)']);
    const parsed = readDesiredState(values.file);
    const client = await clientApi().LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const api = desiredStateApi();
      output.progress(`reading the lifecycles and Marketo users of ${parsed.file.users.length} entries`);
      const plan = await api.planDesiredState(client, parsed);
      output.done();
      const summary = api.summarize(plan.actions);
      if (values.out) fs.writeFileSync(values.out, `${JSON.stringify(plan, null, 2)}\n`);
      if (output.json) output.result({ ...summary, plan });
      else printPlan(output, plan, summary);
      if (summary.refused) {
        if (!output.json)
          process.stderr.write(
            'error: the plan refuses entries (see ! refused); apply would change nothing\n',
          );
        return EXIT_BAD_INPUT;
      }
      return summary.changes ? EXIT_CHANGES_PENDING : EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};
