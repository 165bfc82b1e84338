import type {
  ScheduledSweep,
  SweepScheduleDescription,
  SweepScheduleRun,
  SweepScheduleTiming,
} from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Output } from '../output';
import { POLICY_HELP, POLICY_OPTIONS, policyFromFlags } from './sweep-policy-flags';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...POLICY_OPTIONS,
  every: { type: 'string' },
  at: { type: 'string' },
  timezone: { type: 'string' },
  delete: { type: 'boolean' },
  pause: { type: 'boolean' },
  resume: { type: 'boolean' },
  note: { type: 'string' },
  trigger: { type: 'boolean' },
  describe: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** The verbs on an existing schedule; each alone, with only the flags listed for it. */
const VERBS = ['delete', 'pause', 'resume', 'trigger', 'describe'] as const;
type Verb = (typeof VERBS)[number];
const VERB_FLAGS: Record<Verb, string[]> = {
  delete: [],
  pause: ['note'],
  resume: ['note'],
  trigger: [],
  describe: [],
};
const ALWAYS = new Set(['json', 'data-dir']);

/**
 * Which verb the flags ask for (undefined: create or update), or a UsageError that names the conflict: a
 * verb with another verb, a verb with flags that shape a schedule (they would be silently dropped), both
 * --every and --at, or neither.
 */
function verbOf(values: Values): Verb | undefined {
  const given = Object.keys(values);
  const verbs = VERBS.filter((v) => values[v] === true);
  if (verbs.length > 1) {
    throw new UsageError([`${verbs[0]}: one at a time (got ${verbs.map((v) => `--${v}`).join(', ')})`]);
  }
  const verb = verbs[0];
  if (verb) {
    const others = given.filter((f) => f !== verb && !ALWAYS.has(f) && !VERB_FLAGS[verb].includes(f));
    const allowed = VERB_FLAGS[verb].length ? ` but ${VERB_FLAGS[verb].map((f) => `--${f}`).join(', ')}` : '';
    if (others.length)
      throw new UsageError([
        `${verb}: takes no other flags${allowed} (got ${others.map((f) => `--${f}`).join(', ')})`,
      ]);
    return verb;
  }
  if (values.note !== undefined) throw new UsageError(['note: only with --pause or --resume']);
  if (values.every !== undefined && values.at !== undefined)
    throw new UsageError(['every: give --every or --at, not both']);
  if (values.every === undefined && values.at === undefined)
    throw new UsageError([
      'every: required (or --at, or one of --pause, --resume, --trigger, --describe, --delete)',
    ]);
  if (values.timezone !== undefined && values.at === undefined)
    throw new UsageError(['timezone: only with --at (an interval has no time zone)']);
  return undefined;
}

function timingText(timing: SweepScheduleTiming | null): string {
  if (!timing) return 'a timing this tool did not set (see the Web UI)';
  return 'every' in timing ? `every ${timing.every}` : `daily at ${timing.at} ${timing.timezone}`;
}

function runText(run: SweepScheduleRun): string {
  const head = `${run.workflowId}, started ${run.startedAt}: ${run.status}`;
  if (!run.outcome) return head;
  const c = run.outcome.counts;
  return `${head} ${run.outcome.finishedAt} (scanned ${c.scanned}, locked ${c.locked}, expiry set ${c.expirySet}, drift corrected ${c.driftCorrected}, reported ${c.reported}, errors ${c.errors})`;
}

/** The short block a person reads: paused or not, when, next times, last run, policy. */
export function describeLines(d: SweepScheduleDescription): string[] {
  const p = d.policy;
  return [
    `Sweep schedule ${d.scheduleId}: ${d.paused ? 'PAUSED' : 'active'}${d.note ? ` (note: ${d.note})` : ''}`,
    `Runs: ${timingText(d.spec)}; a sweep still running is ${d.overlap === 'skip' ? 'not doubled' : 'subject to the schedule\u2019s own overlap policy'}`,
    `Next runs (UTC): ${d.nextRuns.length ? d.nextRuns.join(', ') : d.paused ? 'none while paused' : 'none'}`,
    `Last run: ${d.lastRun ? runText(d.lastRun) : 'none yet'}`,
    p
      ? `Policy: require expiry ${p.requireExpiry} (grace ${p.grace}), max lifetime ${p.maxLifetime ?? 'none'} from ${p.maxLifetimeFrom}, lock expired ${p.lockExpired ? 'yes' : 'no'}, exempt ${p.exempt.length ? p.exempt.join(', ') : 'none'}, max idle ${p.maxIdle ? `${p.maxIdle.lockAfter} (warned at ${p.maxIdle.notifyAfter})` : 'none'}`
      : 'Policy: not a sweep as this tool schedules it',
  ];
}

/** --pause, --resume, --trigger, --describe, --delete on the existing schedule. */
async function runVerb(verb: Verb, values: Values, output: Output): Promise<number> {
  const { LifecycleClient, validateInput } = clientApi();
  const noteInput = values.note === undefined ? {} : { note: values.note };
  if (verb === 'pause' || verb === 'resume') validateInput.scheduleNote(noteInput);
  const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
  try {
    if (verb === 'delete') {
      const deleted = await client.deleteSweepSchedule();
      if (output.json) output.result({ deleted });
      else output.line(deleted ? 'The sweep schedule is deleted.' : 'There was no sweep schedule.');
    } else if (verb === 'pause' || verb === 'resume') {
      const result = await (verb === 'pause'
        ? client.pauseSweepSchedule(noteInput)
        : client.resumeSweepSchedule(noteInput));
      if (output.json) output.result(result);
      else
        output.line(
          `The sweep schedule is ${result.paused ? 'paused' : 'resumed'}${result.changed ? '' : ' (it already was)'}: ${result.note}`,
        );
    } else if (verb === 'trigger') {
      const result = await client.triggerSweepSchedule();
      if (output.json) output.result(result);
      else
        output.line(
          result.triggered
            ? 'A sweep starts now; `schedule-sweep --describe` shows it under Last run.'
            : `A sweep of the schedule still runs (${result.runningWorkflowId}): none was added.`,
        );
    } else {
      const description = await client.describeSweepSchedule();
      if (output.json) output.result(description);
      else describeLines(description).forEach((line) => output.line(line));
    }
    return EXIT_OK;
  } finally {
    await client.close();
  }
}

function scheduledText(scheduled: ScheduledSweep): string {
  const timing =
    'every' in scheduled ? `every ${scheduled.every}` : `daily at ${scheduled.at} ${scheduled.timezone}`;
  return `${scheduled.created ? 'Created' : 'Updated'} the sweep schedule: ${timing}.`;
}

export const scheduleSweepCommand: Command = {
  help: `Usage: marketo-api-users schedule-sweep --every 1h [--policy FILE] [policy flags] [--json] [--data-dir DIR]
       marketo-api-users schedule-sweep --at HH:MM [--timezone ZONE] [--policy FILE] [policy flags] [--json]
       marketo-api-users schedule-sweep --pause [--note TEXT] | --resume [--note TEXT] [--json]
       marketo-api-users schedule-sweep --trigger | --describe | --delete [--json] [--data-dir DIR]

Creates the schedule "marketo-api-users-sweep", or updates it when it exists (a paused one stays paused).
A sweep still running when the next one is due is not doubled. Reports go to the notifications (log, or
MARKETO_API_USERS_WEBHOOK_URL).
  --every 1h          an interval, at least 1m
  --at HH:MM          daily at that time of day in --timezone (an IANA name, default UTC); give --every or --at
  --pause, --resume   stop or restart the scheduled runs; --note says why (describe and the Web UI show it)
  --trigger           run the sweep now (not when one of its sweeps still runs)
  --describe          paused or not, when it runs, its next 5 times, its last run and outcome, the policy
  --delete            remove the schedule
Each of --pause, --resume, --trigger, --describe and --delete comes alone (with --json, --data-dir, and
--note for --pause and --resume).

${POLICY_HELP}
Examples:
  marketo-api-users schedule-sweep --every 1h --require-expiry set --max-lifetime 90d
  marketo-api-users schedule-sweep --at 00:05 --timezone America/Chicago --policy sweep-policy.json
  marketo-api-users schedule-sweep --pause --note "Marketo maintenance until Monday"
  marketo-api-users schedule-sweep --describe
  marketo-api-users schedule-sweep --delete
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const verb = verbOf(values);
    if (verb) return runVerb(verb, values, output);
    const policy = policyFromFlags(values);
    const input = {
      ...(values.every !== undefined ? { every: values.every } : {}),
      ...(values.at !== undefined ? { at: values.at } : {}),
      ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
      ...(policy ? { policy } : {}),
    };
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.scheduleSweep(input);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const scheduled = await client.scheduleSweep(input);
      if (output.json) output.result(scheduled);
      else output.line(scheduledText(scheduled));
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
