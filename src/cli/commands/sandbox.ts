import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_OK } from '../errors';
import type { Command } from './types';

export const sandboxCommand: Command = {
  help: `Usage: marketo-api-users sandbox

Configuration from MARKETO_SANDBOX_* (port, mode, state file, limits): see src/sandbox/README.md.

Example:
  MARKETO_SANDBOX_PORT=3070 MARKETO_SANDBOX_MODE=real-like marketo-api-users sandbox
`,
  run(argv) {
    parseCommandArgs(argv, COMMON_OPTIONS);
    // The sandbox's entry starts it on load and keeps the process alive until a signal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../sandbox/main');
    return new Promise<number>(() => undefined).then(() => EXIT_OK);
  },
};
