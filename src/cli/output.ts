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
/** Without a terminal, a countdown ("61 s left", "60 s left", ...) gets one line per this many ms, not one a tick. */
export const PLAIN_PROGRESS_EVERY_MS = 5_000;

export interface OutputStreams {
  stdout: Pick<NodeJS.WriteStream, 'write'>;
  stderr: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>;
  now: () => number;
}

/**
 * Plain progress for logs: a line whenever the message changes, except that a message differing only in its
 * numbers (a countdown, a count) waits PLAIN_PROGRESS_EVERY_MS after the last line.
 */
function plainProgress(write: (text: string) => void, now: () => number): (text: string) => void {
  let last: { text: string; shape: string; at: number } | undefined;
  return (text) => {
    const shape = text.replace(/\d+/g, '#');
    if (last && (text === last.text || (shape === last.shape && now() - last.at < PLAIN_PROGRESS_EVERY_MS)))
      return;
    last = { text, shape, at: now() };
    write(`… ${text}\n`);
  };
}

export function createOutput(
  json: boolean,
  { stdout, stderr, now }: OutputStreams = { stdout: process.stdout, stderr: process.stderr, now: Date.now },
): Output {
  const tty = Boolean(stderr.isTTY);
  const plain = plainProgress((text) => stderr.write(text), now);
  let timer: NodeJS.Timeout | undefined;
  let current = '';
  let frame = 0;
  const clear = () => {
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      stderr.write('\r\x1b[K');
    }
  };
  return {
    json,
    line(text) {
      if (json) return;
      clear();
      stdout.write(`${text}\n`);
    },
    result(value) {
      clear();
      stdout.write(`${JSON.stringify(value)}\n`);
    },
    progress(text) {
      if (json) return;
      if (!tty) {
        plain(text);
        return;
      }
      current = text;
      timer ??= setInterval(() => {
        stderr.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${current}`);
      }, 80);
    },
    done: clear,
  };
}
