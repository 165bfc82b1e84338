import fs from 'node:fs';
import path from 'node:path';
import { ProblemError } from '../errors';

/** A folder meant for secrets or state is one others can write to (or is not ours); `hint` says what to do. */
export class UnsafeDirectoryError extends ProblemError {
  override readonly name = 'UnsafeDirectoryError';
}

export interface PrivateDirOptions {
  /** What the folder is for, in the error (e.g. "secret folder"). */
  what: string;
  /** Where a person can point the product at another folder, for the hint (e.g. "MARKETO_API_USERS_SECRET_DIR"). */
  elsewhere: string;
  /**
   * Also take group/other read and search bits off an existing folder when it is a real directory we own.
   * Never done through a symlink: the link may point at a folder shared on purpose.
   */
  tightenExisting?: boolean;
}

/** `left-open`: kept as it was although others can read it (a symlinked folder, or tightening not asked for). */
export type PrivateDirOutcome = 'created' | 'tightened' | 'kept' | 'left-open';

const PRIVATE_MODE = 0o700;
const OTHERS_WRITE = 0o022;

/**
 * Makes sure `dir` is a folder only we can write to. A folder it creates (parents included) is 0700 whatever
 * the umask; an existing one is refused when others can write to it or it is not ours, since they could swap
 * or plant files there; it is otherwise left as it is unless `tightenExisting` says so.
 */
export function ensurePrivateDir(dir: string, options: PrivateDirOptions): PrivateDirOutcome {
  const uid = process.getuid?.();
  if (uid === undefined) {
    // No POSIX owners or modes to check (Windows): the folder's ACL is the operator's business.
    fs.mkdirSync(dir, { recursive: true });
    return 'kept';
  }
  const firstCreated = fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_MODE });
  if (firstCreated !== undefined) {
    // The umask may have taken bits off; set the exact mode on every folder this call made.
    for (let made = path.resolve(dir); ; made = path.dirname(made)) {
      chmodNoFollow(made, PRIVATE_MODE);
      if (made === path.resolve(firstCreated) || path.dirname(made) === made) break;
    }
    return 'created';
  }
  const target = fs.statSync(dir);
  refuseUnsafe(dir, target, uid, options);
  if ((target.mode & 0o077) === 0) return 'kept';
  if (!options.tightenExisting || fs.lstatSync(dir).isSymbolicLink()) return 'left-open';
  chmodNoFollow(dir, PRIVATE_MODE);
  return 'tightened';
}

/**
 * Takes group/other bits off an existing regular file of ours (a missing one is fine). A symlink or a file
 * of another user is left alone: following one would chmod something outside the folder.
 */
export function tightenOwnFile(file: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  let fd: number;
  try {
    const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
    fd = fs.openSync(file, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isFile() && stat.uid === uid && (stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs `body` (a synchronous spawn) under `mask`: a child inherits the umask at spawn, so files it creates
 * (a database, its journal) get the mode we want without the child knowing about it.
 */
export function withUmask<T>(mask: number, body: () => T): T {
  const previous = process.umask(mask);
  try {
    return body();
  } finally {
    process.umask(previous);
  }
}

function refuseUnsafe(dir: string, stat: fs.Stats, uid: number, options: PrivateDirOptions): void {
  const hint =
    `Use a folder only you can write to: \`chmod 700 ${dir}\` if it is yours, ` +
    `or point ${options.elsewhere} at another folder.`;
  if (!stat.isDirectory()) {
    throw new UnsafeDirectoryError(`The ${options.what} ${dir} is not a folder.`, hint);
  }
  if (stat.uid !== uid) {
    throw new UnsafeDirectoryError(
      `The ${options.what} ${dir} is owned by uid ${stat.uid}, not by this process (uid ${uid}).`,
      hint,
    );
  }
  if ((stat.mode & OTHERS_WRITE) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new UnsafeDirectoryError(
      `The ${options.what} ${dir} has mode ${mode}: others can write to it, so they could plant or swap files.`,
      hint,
    );
  }
}

/** chmod on the folder itself: O_NOFOLLOW fails on a symlink swapped in after the checks. */
function chmodNoFollow(dir: string, mode: number): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}
