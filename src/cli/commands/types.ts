import type { Output } from '../output';

export interface Command {
  name: string;
  help: string;
  /** Resolves with the exit code; throws for errors that `report` turns into one. */
  run(argv: string[], output: (json: boolean) => Output): Promise<number>;
}
