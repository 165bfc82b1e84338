import type { ApplyOptions } from '../../desired-state/api';
import { readDesiredState } from '../../desired-state/parse-file';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi, desiredStateApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import type { Output } from '../output';
import { printPlan } from '../plan-output';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  file: { type: 'string', short: 'f' },
  'allow-revocations': { type: 'string' },
} as const;

function allowedRevocations(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value)) throw new UsageError(['allow-revocations: must be a whole number, like 3']);
  return Number(value);
}

function inputOf(file: string | undefined, planPath: string | undefined) {
  if ((file === undefined) === (planPath === undefined)) {
    throw new UsageError(['file: give exactly one of -f users.yaml or a saved PLAN.json']);
  }
  if (file !== undefined) return { parsed: readDesiredState(file) };
  return { saved: desiredStateApi().readSavedPlan(planPath!) };
}

type Applied = Awaited<ReturnType<typeof applyWith>>['applied'];

function stateOf(change: Applied[number]): string {
  if (change.phase === 'awaiting-operator') return 'awaiting an operator: `status EMAIL` prints the step';
  if (change.phase === 'failed') return `failed: ${change.failure ?? 'see `status EMAIL`'}`;
  return `${change.phase}, expires ${change.expiresAt}`;
}

function printApplied(output: Output, applied: Applied): void {
  for (const change of applied) output.line(`${change.kind} ${change.email}: ${stateOf(change)}`);
  output.line(applied.length ? `Applied ${applied.length} changes.` : 'Nothing to change.');
}

async function applyWith(
  dataDir: string | undefined,
  input: ReturnType<typeof inputOf>,
  options: ApplyOptions,
) {
  const client = await clientApi().LifecycleClient.connect({ dataDir });
  try {
    return await desiredStateApi().applyDesiredState(client, input, options);
  } finally {
    await client.close();
  }
}

export const applyCommand: Command = {
  help: `Usage: marketo-api-users apply (-f users.yaml | PLAN.json) [--allow-revocations N] [--actor NAME]
                               [--json] [--data-dir DIR]

Makes the lifecycles what the desired-state file says: plans again under this instance's apply lock (two
applies never interleave), prints that plan, then carries it out, with progress. A saved plan (plan --out) is
refused when the lifecycles changed since it was made. Removing an entry revokes (locks, never deletes) the
user, but only when an apply created it; protected users (the file's list, this product's own API user,
system-role holders) and lifecycles started by onboard are never touched. A hand-made API-only user the file
names is adopted: its lifecycle takes over only the Marketo user id the plan saw.
A plan with refused entries changes nothing. Running it again changes nothing.
  --allow-revocations  revoke up to N users in this apply (default 1: a truncated file must not lock everyone)
  --actor              who applied, for the audit log (default: your OS user name)

Examples:
  marketo-api-users apply -f users.yaml
  marketo-api-users apply plan.json --allow-revocations 3
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['PLAN']);
    const output = makeOutput(values.json === true);
    const allowRevocations = allowedRevocations(values['allow-revocations']);
    const input = inputOf(values.file, positionals[0]);
    try {
      const result = await applyWith(values['data-dir'], input, {
        actor: actorOf(values.actor),
        ...(allowRevocations !== undefined ? { allowRevocations } : {}),
        onPlan: (plan, summary) => printPlan(output, plan, summary),
        onProgress: (text) => output.progress(text),
      });
      output.done();
      if (output.json) output.result(result);
      else printApplied(output, result.applied);
      const failed = result.applied.find((c) => c.phase === 'failed');
      if (!failed) return EXIT_OK;
      process.stderr.write(
        `error: the lifecycle of ${failed.email} failed, and the apply stopped there\nhint: fix the cause (\`status ${failed.email}\`), then apply again\n`,
      );
      return EXIT_FAILURE;
    } finally {
      output.done();
    }
  },
};
