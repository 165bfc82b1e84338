/**
 * Writing a secret to a file a person named: 0600 from creation on, never through a symlink, never over an
 * existing file unless asked, and then replaced atomically so a reader sees the old file or the new one whole.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ProblemError } from '../errors';

/** The output file cannot be written as asked; nothing was written. */
export class OutputFileError extends ProblemError {
  override readonly name = 'OutputFileError';
}

const NEW_FILE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

function errno(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
}

async function writeNew(file: string, body: string): Promise<void> {
  // O_EXCL with O_CREAT also refuses a symlink at the name, even a dangling one.
  const handle = await fs.open(file, NEW_FILE, 0o600);
  try {
    await handle.writeFile(body, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function refuseSymlink(file: string, shown: string): Promise<void> {
  const stat = await fs.lstat(file).catch((error: unknown) => {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  });
  if (stat?.isSymbolicLink()) {
    throw new OutputFileError(
      `${shown} is a symbolic link; credentials are never written through one, so nothing was written.`,
      'Give the path of a regular file (the link may point somewhere others can read).',
    );
  }
}

/** Writes `body` to `file` as described above; `force` replaces an existing regular file. */
export async function writeSecretFile(file: string, body: string, force: boolean): Promise<void> {
  const target = path.resolve(file);
  await refuseSymlink(target, file);
  if (!force) {
    try {
      await writeNew(target, body);
      return;
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
      throw new OutputFileError(
        `${file} exists; nothing was written.`,
        'Give --force to replace it, or another path.',
      );
    }
  }
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  await writeNew(tmp, body);
  try {
    // rename replaces the name itself: a symlink put there meanwhile is replaced, never followed.
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
