import type { UsageCollectionReport } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const SCHEDULE_OPTIONS = {
  ...COMMON_OPTIONS,
  at: { type: 'string' },
  timezone: { type: 'string' },
  delete: { type: 'boolean' },
} as const;

export const scheduleUsageCommand: Command = {
  help: `Usage: marketo-api-users schedule-usage [--at HH:MM] [--timezone ZONE] [--json] [--data-dir DIR]
       marketo-api-users schedule-usage --delete [--json] [--data-dir DIR]

Creates the schedule "marketo-api-users-usage" (or moves its time): once a day it reads Marketo's Usage
API (two calls, inside the call budget) and keeps each API user's daily call count in the store, past the
7 days Marketo keeps. \`status\` and \`list\` show each lifecycle's last use from it. \`up\` creates it.
  --at HH:MM      time of day, default 00:30 (just after Marketo's day ends)
  --timezone      an IANA name, default America/Chicago (Marketo's day)
  --delete        remove the schedule

Examples:
  marketo-api-users schedule-usage
  marketo-api-users schedule-usage --at 06:00 --timezone Europe/Paris
  marketo-api-users schedule-usage --delete
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, SCHEDULE_OPTIONS);
    const output = makeOutput(values.json === true);
    if (values.delete === true && (values.at !== undefined || values.timezone !== undefined)) {
      throw new UsageError(['delete: comes alone (without --at or --timezone)']);
    }
    const input = {
      ...(values.at !== undefined ? { at: values.at } : {}),
      ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
    };
    const { LifecycleClient, validateInput } = clientApi();
    if (values.delete !== true) validateInput.scheduleUsage(input);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      if (values.delete === true) {
        const deleted = await client.deleteUsageSchedule();
        if (output.json) output.result({ deleted });
        else output.line(deleted ? 'The usage schedule is deleted.' : 'There was no usage schedule.');
        return EXIT_OK;
      }
      const scheduled = await client.scheduleUsage(input);
      if (output.json) output.result(scheduled);
      else {
        output.line(
          `${scheduled.created ? 'Created' : 'Updated'} the schedule ${scheduled.scheduleId}: daily at ${scheduled.at} ${scheduled.timezone}.`,
        );
      }
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};

function reportLines(report: UsageCollectionReport): string[] {
  const errors = Object.entries(report.errorsByCode).map(([code, count]) => `${code}×${count}`);
  return [
    `Collected the usage of ${report.instance} on Marketo's day ${report.collectedDay}.`,
    `  covers:  ${report.coveredSince} to ${report.collectedDay} (Marketo keeps 7 days)`,
    `  stored:  ${report.calls} calls by ${report.users} API users over ${report.days} days`,
    `  errors:  ${errors.length ? errors.join(', ') : 'none'}`,
  ];
}

export const collectUsageCommand: Command = {
  help: `Usage: marketo-api-users collect-usage [--json] [--data-dir DIR]

Runs the usage collector now, as its schedule does once a day, and waits for it: two Usage API calls, their
daily per-user counts stored in the store. Needs a running worker (\`up\` or \`worker\`).

Examples:
  marketo-api-users collect-usage
  marketo-api-users collect-usage --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, COMMON_OPTIONS);
    const output = makeOutput(values.json === true);
    const { LifecycleClient } = clientApi();
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress('collecting usage from Marketo');
      const report = await client.collectUsage();
      output.done();
      if (output.json) output.result(report);
      else for (const line of reportLines(report)) output.line(line);
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
