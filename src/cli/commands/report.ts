import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { reportTable } from '../report-table';
import { reportCsv } from '../../report/csv';
import type { Command } from './types';

const OPTIONS = { ...COMMON_OPTIONS, csv: { type: 'boolean' } } as const;

export const reportCommand: Command = {
  help: `Usage: marketo-api-users report [--csv | --json] [--data-dir DIR]

The compliance report: one row per API-only user of the Marketo instance, managed or hand-made, with its
lifecycle and phase, owner, ticket, roles and their permissions (where the instance tells them), expiry, lock,
last use, last attestation and rotation age. Marketo is read by a worker, a page at a time inside the call
budget (a large instance takes minutes); progress goes to stderr. The columns of --csv and --json are listed
in the README ("Compliance report"). Exits 1 when some lifecycle did not answer (its row lacks owner,
attestation and rotation age).
  --csv   CSV for auditors (RFC 4180; a cell starting with = + - @ gets a leading ')
  --json  one JSON document: { generatedAt, rows, statusesUnanswered }

Examples:
  marketo-api-users report
  marketo-api-users report --csv > api-users.csv
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    if (values.csv && values.json) throw new UsageError(['csv: give --csv or --json, not both']);
    const output = makeOutput(values.json === true);
    const { LifecycleClient } = clientApi();
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress('reading Marketo');
      const report = await client.report({}, (text) => output.progress(text));
      output.done();
      if (output.json) output.result(report);
      else if (values.csv) process.stdout.write(reportCsv(report.rows));
      else for (const line of reportTable(report.rows)) output.line(line);
      if (report.statusesUnanswered.length === 0) return EXIT_OK;
      if (!output.json) {
        process.stderr.write(
          `${report.statusesUnanswered.length} lifecycle(s) did not answer their status query (${report.statusesUnanswered.join(', ')}): ` +
            'check that a worker runs, then report again\n',
        );
      }
      return EXIT_FAILURE;
    } finally {
      output.done();
      await client.close();
    }
  },
};
