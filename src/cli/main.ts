/** The `marketo-api-users` command: one file per command under commands/, exit codes in errors.ts. */
import type * as Apply from './commands/apply';
import type * as Attest from './commands/attest';
import type * as Reassign from './commands/reassign';
import type * as Audit from './commands/audit';
import type * as CodecServer from './commands/codec-server';
import type * as CompleteStep from './commands/complete-step';
import type * as Credentials from './commands/credentials';
import type * as Demo from './commands/demo';
import type * as ReencryptSecrets from './commands/reencrypt-secrets';
import type * as Extend from './commands/extend';
import type * as List from './commands/list';
import type * as MoveStore from './commands/move-store';
import type * as Onboard from './commands/onboard';
import type * as Plan from './commands/plan';
import type * as Report from './commands/report';
import type * as Revoke from './commands/revoke';
import type * as Rotate from './commands/rotate';
import type * as ScheduleSweep from './commands/schedule-sweep';
import type * as Usage from './commands/usage';
import type * as SetupNamespace from './commands/setup-namespace';
import type * as Sweep from './commands/sweep';
import type * as Sandbox from './commands/sandbox';
import type * as Status from './commands/status';
import type { Command } from './commands/types';
import type * as Up from './commands/up';
import type * as Worker from './commands/worker';
import { EXIT_BAD_INPUT, EXIT_OK, HelpRequested, report } from './errors';
import { createOutput } from './output';

/**
 * A command's code (and the Temporal client, worker, embedded stack or sandbox behind it) is loaded only when
 * that command runs: `status --help` or the command list must not pay for `up`'s dependencies. The summary
 * lives here, beside the loader, so the list needs no command's code at all.
 */
interface CommandEntry {
  name: string;
  summary: string;
  load(): Command;
}

/**
 * `require`, not `import()`: the bin runs the sources through tsx's CommonJS hook, which on Node 20 does not
 * serve `import()` of a .ts file.
 */
function load(module: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see CommandEntry
  return require(module);
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'up',
    summary: 'run the embedded default: Temporal dev server with UI, Marketo sandbox and worker',
    load: () => (load('./commands/up') as typeof Up).upCommand,
  },
  {
    name: 'onboard',
    summary: 'create (or find) the role, API-only user and custom service of one integration',
    load: () => (load('./commands/onboard') as typeof Onboard).onboardCommand,
  },
  {
    name: 'status',
    summary: "show a lifecycle's phase, ids, expiry, pending operator action and timeline",
    load: () => (load('./commands/status') as typeof Status).statusCommand,
  },
  {
    name: 'extend',
    summary: 'move the expiry later (in the workflow and in Marketo)',
    load: () => (load('./commands/extend') as typeof Extend).extendCommand,
  },
  {
    name: 'revoke',
    summary: 'deactivate at once: lock the user in Marketo and delete the stored secret',
    load: () => (load('./commands/revoke') as typeof Revoke).revokeCommand,
  },
  {
    name: 'rotate',
    summary: 'rotate the secret without downtime: a second service, an overlap, the old one proven dead',
    load: () => (load('./commands/rotate') as typeof Rotate).rotateCommand,
  },
  {
    name: 'attest',
    summary: "the owner vouches for a lifecycle's access (keep) or withdraws it (revoke)",
    load: () => (load('./commands/attest') as typeof Attest).attestCommand,
  },
  {
    name: 'reassign',
    summary: 'hand the access to another owner or ticket, in place: the credentials stay',
    load: () => (load('./commands/reassign') as typeof Reassign).reassignCommand,
  },
  {
    name: 'credentials',
    summary:
      "print (or write to a 0600 file) the active lifecycle's client id and secret, for the integration",
    load: () => (load('./commands/credentials') as typeof Credentials).credentialsCommand,
  },
  {
    name: 'audit',
    summary: 'the audit log: who onboarded, extended, revoked or read credentials, and when',
    load: () => (load('./commands/audit') as typeof Audit).auditCommand,
  },
  {
    name: 'reencrypt-secrets',
    summary: 'after a key rotation, move the stored secrets under the current key',
    load: () => (load('./commands/reencrypt-secrets') as typeof ReencryptSecrets).reencryptSecretsCommand,
  },
  {
    name: 'move-store',
    summary: "move the data folder's secrets, first sightings and audit log into PostgreSQL",
    load: () => (load('./commands/move-store') as typeof MoveStore).moveStoreCommand,
  },
  {
    name: 'list',
    summary: 'every lifecycle with its phase and expiry',
    load: () => (load('./commands/list') as typeof List).listCommand,
  },
  {
    name: 'report',
    summary:
      'the compliance report: every API-only user, managed or hand-made, with owner, roles, expiry, last use and rotation age (--csv, --json)',
    load: () => (load('./commands/report') as typeof Report).reportCommand,
  },
  {
    name: 'plan',
    summary:
      'compare a desired-state file (users.yaml) with the running lifecycles; exit 4 when apply would change something',
    load: () => (load('./commands/plan') as typeof Plan).planCommand,
  },
  {
    name: 'apply',
    summary:
      'make the lifecycles what a desired-state file (or a saved plan) says, one apply per instance at a time',
    load: () => (load('./commands/apply') as typeof Apply).applyCommand,
  },
  {
    name: 'complete-step',
    summary: 'tell a lifecycle that the operator made (or checked) its role, or made its custom service',
    load: () => (load('./commands/complete-step') as typeof CompleteStep).completeStepCommand,
  },
  {
    name: 'sweep',
    summary: 'enforce expiry on every API-only user of the instance now, and print the report',
    load: () => (load('./commands/sweep') as typeof Sweep).sweepCommand,
  },
  {
    name: 'schedule-sweep',
    summary: 'run the sweep on a Temporal Schedule (create, update, or --delete)',
    load: () => (load('./commands/schedule-sweep') as typeof ScheduleSweep).scheduleSweepCommand,
  },
  {
    name: 'schedule-usage',
    summary:
      "read Marketo's Usage API daily into the store on a Temporal Schedule (create, move, or --delete)",
    load: () => (load('./commands/usage') as typeof Usage).scheduleUsageCommand,
  },
  {
    name: 'collect-usage',
    summary: "read Marketo's Usage API into the store now (last used per API user)",
    load: () => (load('./commands/usage') as typeof Usage).collectUsageCommand,
  },
  {
    name: 'setup-namespace',
    summary: "register the lifecycle's search attributes on your own cluster's namespace (idempotent)",
    load: () => (load('./commands/setup-namespace') as typeof SetupNamespace).setupNamespaceCommand,
  },
  {
    name: 'demo',
    summary: 'the whole product in one command, on a throwaway embedded stack',
    load: () => (load('./commands/demo') as typeof Demo).demoCommand,
  },
  {
    name: 'worker',
    summary: 'run a worker against your own Temporal cluster and Marketo instance',
    load: () => (load('./commands/worker') as typeof Worker).workerCommand,
  },
  {
    name: 'codec-server',
    summary: "decode payloads for the Temporal Web UI with the workers' keys (POST /encode, /decode)",
    load: () => (load('./commands/codec-server') as typeof CodecServer).codecServerCommand,
  },
  {
    name: 'sandbox',
    summary: 'run the local Marketo sandbox on its own',
    load: () => (load('./commands/sandbox') as typeof Sandbox).sandboxCommand,
  },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: marketo-api-users <command> [flags]   (marketo-api-users <command> --help for its flags and examples)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Examples:',
    '  marketo-api-users demo',
    '  marketo-api-users up',
    '  marketo-api-users onboard --email crm@example.com --first-name CRM --last-name Sync --role "CRM Sync" \\',
    '    --permissions "Read-Only Lead" --expires-in 90d',
    '',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(
      `error: unknown command "${name}"\nhint: marketo-api-users --help lists the commands\n`,
    );
    return EXIT_BAD_INPUT;
  }
  const json = rest.includes('--json');
  const command = entry.load();
  try {
    return await command.run(rest, createOutput);
  } catch (error) {
    // Decided by the command's own parse, so that `--reason --help` is a missing value, not a help request.
    if (error instanceof HelpRequested) {
      process.stdout.write(command.help);
      return EXIT_OK;
    }
    const reported = report(error);
    if (json) process.stdout.write(`${JSON.stringify(reported.json)}\n`);
    process.stderr.write(`${reported.lines.join('\n')}\n`);
    return reported.exitCode;
  }
}

/** Runs the command line and sets the exit code; the bin and `npm run cli` both come here. */
export function main(): void {
  // `status ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
