import type { DataConverter } from '@temporalio/common';
import type { Keyring } from './keyring';
import { EncryptionCodec } from './payload-codec';

/**
 * Module exporting the `failureConverter` that encodes messages and stack traces. A path rather than an
 * instance because the workflow sandbox loads it from the bundle: pass it to `bundleWorkflowCode` too
 * when the worker uses a prebuilt bundle. require.resolve keeps it right for both .ts (tsx) and dist .js.
 */
export const failureConverterPath: string = require.resolve('./failure-converter');

/**
 * The data converter for every Temporal client and worker of this project: payloads encrypted with the
 * keyring's current key, failure messages and stacks encoded (and so encrypted) too.
 * Client, worker and CLI must share it, or one side reads ciphertext the other cannot decode.
 */
export function createDataConverter(keyring: Keyring): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(keyring)],
    failureConverterPath,
  };
}
