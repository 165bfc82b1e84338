import type { Output } from '../output';

/** A command's code; its name and summary live in main.ts's table, so listing commands loads none. */
export interface Command {
  help: string;
  /** Resolves with the exit code; throws for errors that `report` turns into one. */
  run(argv: string[], output: (json: boolean) => Output): Promise<number>;
}
