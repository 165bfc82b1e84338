import fs from 'node:fs';
import path from 'node:path';
import { serverCacheDir } from './cache-dir';
import { findOnPath, isExecutableFile, publishDirectory, runBuildStep } from './executables';

/**
 * Pinned to v1.5.1: the last release that `go install` accepts. From v1.6.0 on, the CLI's go.mod carries a
 * replace directive (for its nested `cliext` module), which `go install pkg@version` refuses. A newer CLI would
 * mean assembling the module and its nested module from the proxy by hand; v1.5.1 already has everything we use
 * (`server start-dev` with SQLite persistence, the Web UI, Updates, Schedules).
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type ProvidedServer =
  | { kind: 'existing-path'; path: string; source: 'env' | 'path' | 'cache' | 'built'; version?: string }
  | { kind: 'sdk-download'; reason: string };

export function temporalCliCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(serverCacheDir(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export function ensureTemporalCli(env: NodeJS.ProcessEnv = process.env): ProvidedServer {
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) {
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. Fix the path or unset it.`);
    }
    return { kind: 'existing-path', path: fromEnv, source: 'env' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { kind: 'existing-path', path: onPath, source: 'path' };

  const cached = temporalCliCachePath(env);
  if (isExecutableFile(cached)) {
    return { kind: 'existing-path', path: cached, source: 'cache', version: TEMPORAL_CLI_VERSION };
  }

  const go = findOnPath('go', env);
  if (!go) {
    return {
      kind: 'sdk-download',
      reason: 'no TEMPORAL_CLI_PATH, no `temporal` on PATH and no Go toolchain to build it',
    };
  }

  const finalDir = path.dirname(cached);
  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  process.stderr.write(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with Go (first run only)...\n`);
  try {
    // -s -w drops debug symbols (about half the size); -X stamps the version `go install` would leave as DEV.
    const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
    runBuildStep(
      go,
      ['install', '-trimpath', `-ldflags=${ldflags}`, `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
      {
        cwd: tmpDir,
        env: { ...env, GOBIN: tmpDir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
      },
    );
  } catch (error) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(
      `Could not build the Temporal CLI with Go: ${(error as Error).message}. ` +
        'Check that the Go module proxy is reachable, or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
  publishDirectory(tmpDir, finalDir);
  return { kind: 'existing-path', path: cached, source: 'built', version: TEMPORAL_CLI_VERSION };
}

/**
 * What the Temporal dev server may see of our environment. An allow-list, not a deny-list: `up` runs with
 * Marketo credentials, payload keys and webhook tokens in its environment, and the server needs none of
 * them. PATH, HOME and the temporary folder let it run; locale and TZ keep its log lines readable; the
 * Windows names are what Go itself needs there (SystemRoot for networking, the profile folders).
 */
const SERVER_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'LANGUAGE',
  'SYSTEMROOT',
  'TEMP',
  'TMP',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
]);

export function temporalServerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    const upper = name.toUpperCase();
    if (value !== undefined && (SERVER_ENV_NAMES.has(upper) || /^LC_[A-Z_]+$/.test(upper)))
      kept[name] = value;
  }
  return kept;
}
