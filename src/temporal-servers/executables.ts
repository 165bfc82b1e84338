import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `which` without a subprocess: walk PATH ourselves so the cached path stays under 2 s. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Run a build tool, streaming its output to stderr so a slow first build shows progress. */
export function runBuildStep(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): void {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

/** Move a finished build into place atomically; a concurrent builder that won the race is fine. */
export function publishDirectory(tmpDir: string, finalDir: string): void {
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  try {
    fs.renameSync(tmpDir, finalDir);
  } catch (error) {
    if (fs.existsSync(finalDir)) {
      fs.rmSync(tmpDir, { recursive: true, force: true });
      return;
    }
    throw error;
  }
}
