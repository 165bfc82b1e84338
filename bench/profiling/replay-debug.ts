/**
 * Replays the recorded lifecycle and sweep histories against a bundle with a chosen preload, printing each failure
 * in clear: the bundle has no failure converter, so the workflow task failure is not encoded as in the product.
 *
 *   npx tsx bench/profiling/replay-debug.ts            # preload SHARED_WORKFLOW_MODULES (as the product)
 *   npx tsx bench/profiling/replay-debug.ts none       # no preload
 *   npx tsx bench/profiling/replay-debug.ts /abs/a.ts,/abs/b.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createDataConverter } from '../../src/security/data-converter';
import { readKeyFile } from '../../src/security/keyring';
import { SHARED_WORKFLOW_MODULES } from '../../src/app/worker';
import { HISTORIES_DIR, loadHistories } from '../../test/helpers/histories';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const arg = process.argv[2];
  const preload = arg === 'none' ? [] : arg ? arg.split(',') : [...SHARED_WORKFLOW_MODULES];
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    preloadModules: preload,
    logger: new DefaultLogger('ERROR'),
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-replay-debug-'));
  try {
    for (const kind of ['lifecycle', 'sweep']) {
      // The keyring refuses key files others may read: a private copy.
      const keyFile = path.join(tmp, `${kind}-keys.json`);
      fs.copyFileSync(path.join(HISTORIES_DIR, kind, 'replay-keys.json'), keyFile);
      fs.chmodSync(keyFile, 0o600);
      const keyring = await readKeyFile(keyFile, {});
      const dataConverter = { payloadCodecs: createDataConverter(keyring).payloadCodecs };
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: bundle, dataConverter },
        loadHistories(kind),
      )) {
        process.stdout.write(
          `${kind} ${result.workflowId}: ${result.error ? String(result.error).slice(0, 800) : 'ok'}\n`,
        );
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
