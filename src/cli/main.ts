/**
 * The `marketo-api-users` command. For now it starts the long-running parts; the lifecycle commands
 * (up, onboard, status, extend, revoke, list, demo) come with the CLI issue.
 */
import { runWorkerFromEnv } from '../worker';

const USAGE = `Usage: marketo-api-users <command>

Commands:
  worker    run the lifecycle worker (Temporal from TEMPORAL_ADDRESS and friends, Marketo from MARKETO_BASE_URL)
  sandbox   run the local Marketo sandbox (port from MARKETO_SANDBOX_PORT)

Examples:
  MARKETO_BASE_URL=https://123-ABC-456.mktorest.com MARKETO_CLIENT_ID=... MARKETO_CLIENT_SECRET=... marketo-api-users worker
  MARKETO_SANDBOX_PORT=3070 marketo-api-users sandbox
`;

function main(argv: string[]): void {
  const [command] = argv;
  if (command === 'worker') {
    runWorkerFromEnv().catch((error: unknown) => {
      process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  if (command === 'sandbox') {
    // The sandbox's entry starts it on load; loaded only when asked for, so `worker` never pays for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../sandbox/main');
    return;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  process.stderr.write(`Unknown command: ${command}\nRun marketo-api-users --help for the commands.\n`);
  process.exitCode = 2;
}

main(process.argv.slice(2));
