import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/** Quiet the SDK's own logs in tests: failures still surface as test errors, routine logs would drown the report. */
export function installQuietRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

export const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
