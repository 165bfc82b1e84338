import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK } from '../errors';
import type { Output } from '../output';
import type { MoveStoreOutcome } from '../../move-store';
import type { Command } from './types';

function tell(output: Output, outcome: MoveStoreOutcome): void {
  const { secrets, firstSeen, auditEvents, usageDays } = outcome;
  const counts =
    `${secrets.moved} secret(s), ${firstSeen.moved} first sighting(s), ${auditEvents.moved} audit event(s), ` +
    `${usageDays.moved} daily usage count(s) (already there: ${secrets.alreadyThere}, ${firstSeen.alreadyThere}, ` +
    `${auditEvents.alreadyThere}, ${usageDays.alreadyThere})`;
  const where = outcome.target === 'postgres' ? 'PostgreSQL' : `the embedded database of ${outcome.dataDir}`;
  if (outcome.dryRun) {
    output.line(`Would move into ${where}: ${counts}. Nothing was changed.`);
    return;
  }
  output.line(`Moved into ${where}: ${counts}.`);
  if (outcome.keptAs.length) output.line(`Kept as evidence (0600): ${outcome.keptAs.join(', ')}`);
  if (outcome.abandonedTempFiles) {
    output.line(`Removed ${outcome.abandonedTempFiles} temp file(s) of secret writes that never finished.`);
  }
  output.line(
    outcome.target === 'postgres'
      ? `No secret file is left in ${outcome.dataDir}. Start \`up\` or the workers (and run the CLI) with ` +
          'MARKETO_API_USERS_DATABASE_URL set, and check `audit` and `list` there.'
      : `No secret file is left in ${outcome.dataDir}. Start \`up\` on it (without --store file), and check ` +
          '`audit` and `list` there.',
  );
}

export const moveStoreCommand: Command = {
  help: `Usage: marketo-api-users move-store [--dry-run] [--json] [--data-dir DIR]

Moves a deployment's file store (the data folder's secrets/, audit.jsonl, sweep-first-seen.json: what
\`up --store file\` and a worker without a database URL keep) into the shared PostgreSQL store
(MARKETO_API_USERS_DATABASE_URL, the same value the workers will get), or, without that setting, into the
folder's embedded database (what \`up\` uses by default): every stored service secret (encrypted there under
the keyring), the sweep's first sightings and the audit log, under the same refs and event ids. Everything is copied and read back
first; only then are the secret files deleted and audit.jsonl and sweep-first-seen.json renamed to
<name>.moved (kept as evidence). Safe to repeat: a run stopped half-way is finished by the next, and a second
run moves nothing.

Stop \`up\` and every worker on the folder first: while an \`up\` runs on it, the move is refused (exit 2).
--dry-run only counts what would move, changes nothing, and may run beside \`up\`. Progress goes to stderr; --json prints one JSON object and nothing else.

Examples:
  MARKETO_API_USERS_DATABASE_URL=postgres://mau@db/mau marketo-api-users move-store --dry-run
  MARKETO_API_USERS_DATABASE_URL=postgres://mau@db/mau marketo-api-users move-store --data-dir .data --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, 'dry-run': { type: 'boolean' } });
    const output = makeOutput(values.json === true);
    try {
      const outcome = await clientApi().moveStore(
        { dryRun: values['dry-run'] === true },
        { dataDir: values['data-dir'], onProgress: (text) => output.progress(text) },
      );
      if (output.json) output.result(outcome);
      else tell(output, outcome);
    } finally {
      output.done();
    }
    return EXIT_OK;
  },
};
