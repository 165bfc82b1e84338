import type { EphemeralServerExecutable } from '@temporalio/testing';
import type { ProvidedServer } from './temporal-cli';

export {
  ensureTemporalCli,
  temporalServerEnv,
  TEMPORAL_CLI_VERSION,
  type ProvidedServer,
} from './temporal-cli';
export { ensureTestServer, TEST_SERVER_VERSION } from './test-server';
export { serverCacheDir } from './cache-dir';

/** What to hand the SDK: our binary when we have one, else its own download (works only with internet). */
export function toSdkExecutable(server: ProvidedServer): EphemeralServerExecutable {
  return server.kind === 'existing-path'
    ? { type: 'existing-path', path: server.path }
    : { type: 'cached-download' };
}
