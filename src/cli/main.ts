/** The `marketo-api-users` command: one file per command under commands/, exit codes in errors.ts. */
import { completeStepCommand } from './commands/complete-step';
import { demoCommand } from './commands/demo';
import { extendCommand } from './commands/extend';
import { listCommand } from './commands/list';
import { onboardCommand } from './commands/onboard';
import { revokeCommand } from './commands/revoke';
import { scheduleSweepCommand } from './commands/schedule-sweep';
import { sweepCommand } from './commands/sweep';
import { sandboxCommand } from './commands/sandbox';
import { statusCommand } from './commands/status';
import type { Command } from './commands/types';
import { upCommand } from './commands/up';
import { workerCommand } from './commands/worker';
import { EXIT_BAD_INPUT, EXIT_OK, HelpRequested, report } from './errors';
import { createOutput } from './output';

const COMMANDS: Command[] = [
  upCommand,
  onboardCommand,
  statusCommand,
  extendCommand,
  revokeCommand,
  listCommand,
  completeStepCommand,
  sweepCommand,
  scheduleSweepCommand,
  demoCommand,
  workerCommand,
  sandboxCommand,
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
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(
      `error: unknown command "${name}"\nhint: marketo-api-users --help lists the commands\n`,
    );
    return EXIT_BAD_INPUT;
  }
  const json = rest.includes('--json');
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
