import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK } from '../errors';
import { POLICY_HELP, POLICY_OPTIONS, policyFromFlags } from './sweep-policy-flags';
import type { Command } from './types';

const OPTIONS = { ...COMMON_OPTIONS, ...POLICY_OPTIONS, 'dry-run': { type: 'boolean' } } as const;

export const sweepCommand: Command = {
  help: `Usage: marketo-api-users sweep [--dry-run] [--json] [--policy FILE] [policy flags] [--data-dir DIR]

Pages through every user of the Marketo instance, including users made by hand, and applies the policy to
each API-only user; users that a lifecycle manages get the lifecycle's expiry back if someone moved it.
--dry-run changes nothing and reports what it would do. Exits 1 when some users could not be checked.

${POLICY_HELP}
Examples:
  marketo-api-users sweep --dry-run --require-expiry set --max-lifetime 90d
  marketo-api-users sweep --policy sweep-policy.json --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const policy = policyFromFlags(values);
    const { LifecycleClient } = clientApi();
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const label = values['dry-run'] ? 'sweeping (dry run)' : 'sweeping';
      output.progress(label);
      let last = '';
      const report = await client.sweep(
        { dryRun: values['dry-run'] === true, ...(policy ? { policy } : {}) },
        ({ pages, counts: c, dryRun }) => {
          const acted = c.locked + c.expirySet + c.driftCorrected;
          const text = `${label}: ${pages} page(s), ${c.scanned} API-only users scanned, ${acted} ${dryRun ? 'to act on' : 'acted on'}`;
          // Plain progress lines (no terminal) only when something moved, not once a second.
          if (text !== last) output.progress(text);
          last = text;
        },
      );
      output.done();
      if (output.json) {
        output.result(report);
      } else {
        const c = report.counts;
        output.line(
          `${report.dryRun ? 'Dry run: nothing was changed.' : 'Sweep done.'} ${report.pages} page(s)`,
        );
        output.line(
          `scanned ${c.scanned}, compliant ${c.compliant}, locked ${c.locked}, expiry set ${c.expirySet}, ` +
            `drift corrected ${c.driftCorrected}, exempt ${c.exempt}, reported ${c.reported}, errors ${c.errors}`,
        );
        for (const line of report.lines) {
          const verb = line.applied
            ? ''
            : line.action === 'report' || line.action === 'error'
              ? ''
              : 'would ';
          output.line(
            `  ${line.email}: ${verb}${line.action}${line.expiresAt ? ` → ${line.expiresAt}` : ''} (${line.reason})`,
          );
        }
        const sent = report.notifications;
        if (report.moreLines) {
          output.line(
            sent.lineParts > sent.failedLineParts
              ? `  … and ${report.moreLines} more: every line went to the notifications ("sweep-lines", ${sent.lineParts} part(s))`
              : `  … and ${report.moreLines} more, not listed (the report keeps the first ${report.lines.length})`,
          );
        }
        if (report.noCreationDate)
          output.line(
            `${report.noCreationDate} user(s) had no creation date (Marketo's user record has none): ` +
              'their maximum lifetime was counted from when the sweep first saw them',
          );
        if (report.idleCheckSkipped !== undefined) output.line(report.idleCheckSkipped);
        if (sent.failedLineParts > 0 || !sent.reportDelivered)
          output.line(
            `Notifications failed: ${sent.failedLineParts} of ${sent.lineParts} line part(s)` +
              `${sent.reportDelivered ? '' : `, and the report (${sent.problem ?? 'no reason given'})`}; check the webhook or the log.`,
          );
      }
      return report.counts.errors > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};
