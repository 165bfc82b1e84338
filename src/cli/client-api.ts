/**
 * The client API, loaded when a command first calls it: it brings the Temporal client, gRPC and the workflow
 * definitions, which a command's `--help` or a usage error must not wait for.
 */
import type * as ClientApi from '../client';
import type * as DesiredStateApi from '../desired-state/api';

export function clientApi(): typeof ClientApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return require('../client') as typeof ClientApi;
}

/** The desired-state plan and apply, loaded as lazily and for the same reason. */
export function desiredStateApi(): typeof DesiredStateApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return require('../desired-state/api') as typeof DesiredStateApi;
}
