/**
 * The client API, loaded when a command first calls it: it brings the Temporal client, gRPC and the workflow
 * definitions, which a command's `--help` or a usage error must not wait for.
 */
import type * as ClientApi from '../client';

export function clientApi(): typeof ClientApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return require('../client') as typeof ClientApi;
}
