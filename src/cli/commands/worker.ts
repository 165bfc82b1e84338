import { runWorkerFromEnv } from '../../app/worker';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_OK } from '../errors';
import type { Command } from './types';

export const workerCommand: Command = {
  help: `Usage: marketo-api-users worker

Configuration from the environment: TEMPORAL_ADDRESS and friends (@temporalio/envconfig), MARKETO_BASE_URL,
MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET, MARKETO_BUDGET_*, MARKETO_API_USERS_DATA_DIR, METRICS_BIND_ADDRESS.

Example:
  TEMPORAL_ADDRESS=temporal.internal:7233 MARKETO_BASE_URL=https://123-ABC-456.mktorest.com \\
    MARKETO_CLIENT_ID=... MARKETO_CLIENT_SECRET=... marketo-api-users worker
`,
  async run(argv) {
    parseCommandArgs(argv, COMMON_OPTIONS);
    await runWorkerFromEnv();
    return EXIT_OK;
  },
};
