/** How commands talk: results on stdout (one JSON document with --json), progress and errors on stderr. */
export interface Output {
  readonly json: boolean;
  /** A result line for people (suppressed with --json). */
  line(text: string): void;
  /** The one JSON document of a --json run. */
  result(value: unknown): void;
  /** Progress on long waits: a spinner on a terminal, plain lines otherwise, nothing with --json. */
  progress(text: string): void;
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createOutput(json: boolean): Output {
  const tty = Boolean(process.stderr.isTTY);
  let timer: NodeJS.Timeout | undefined;
  let current = '';
  let frame = 0;
  const clear = () => {
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      process.stderr.write('\r\x1b[K');
    }
  };
  return {
    json,
    line(text) {
      if (json) return;
      clear();
      process.stdout.write(`${text}\n`);
    },
    result(value) {
      clear();
      process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    progress(text) {
      if (json) return;
      if (!tty) {
        process.stderr.write(`… ${text}\n`);
        return;
      }
      current = text;
      timer ??= setInterval(() => {
        process.stderr.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${current}`);
      }, 80);
    },
    done: clear,
  };
}
