import os from 'node:os';
import path from 'node:path';

/**
 * Bump when the layout of the cache changes, so an old layout is never half-reused.
 * Each tool also carries its own pinned version in its folder name.
 */
const CACHE_LAYOUT_VERSION = 'v1';

/** Where built servers live: outside the repo, so a fresh clone reuses them and `git clean` keeps them. */
export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.MARKETO_API_USERS_CACHE_DIR ??
    path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'marketo-api-users');
  return path.join(base, CACHE_LAYOUT_VERSION);
}
