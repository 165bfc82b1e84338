/**
 * The lifecycle's own workflow modules are evaluated once per worker, not once per run: with reuseV8Context the SDK
 * evaluates every module that is not preloaded anew for each run and keeps it while the run is cached, which made
 * each sleeping lifecycle carry its own copy of the Lifecycle class and its step modules (bench/profiling/README.md).
 * Two lifecycles run on the product's own bundle; a test-only interceptor asks each run which modules it evaluated
 * for itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import type { lifecycleWorkflow } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/messages';
import { startTimeSkippingServer } from '../helpers/temporal-env';
import { perRunModulesQuery } from './fixtures/module-cache-probe';

const PROBE = require.resolve('./fixtures/module-cache-probe');
const TASK_QUEUE = 'shared-modules';

describe('workflow modules shared between lifecycle runs', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  before(async () => {
    env = await startTimeSkippingServer();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await bundleLifecycleWorkflows({ workflowInterceptorModules: [PROBE] }),
      reuseV8Context: true,
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  /** Starts a lifecycle (no activity worker: it stays provisioning) and answers what its run evaluated itself. */
  async function perRunModules(name: string): Promise<string[]> {
    const handle = await env.client.workflow.start<typeof lifecycleWorkflow>('lifecycleWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `shared-modules-${name}`,
      args: [
        {
          request: {
            email: `${name}@example.com`,
            firstName: 'Ada',
            lastName: 'Shared',
            role: { name: 'Integration Read-Only', permissions: ['Read-Only Lead'], workspace: 0 },
            expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
          },
          workflowIdKeyFingerprint: '0123456789abcdef',
        },
      ],
    });
    assert.equal((await handle.query(statusQuery)).phase, 'provisioning');
    const modules = await handle.query(perRunModulesQuery);
    await handle.terminate('test done');
    return modules;
  }

  it('evaluates only the workflows entry (and the probe) per run; the lifecycle and its schemas are shared', async () => {
    for (const name of ['first', 'second']) {
      const modules = await perRunModules(name);
      // The probe sees the per-run cache at all: the entry is always evaluated per run.
      assert.ok(modules.includes('./src/workflows/index.ts'), modules.join(', '));
      assert.deepEqual(
        modules.filter((id) => id.startsWith('./src/')),
        ['./src/workflows/index.ts'],
        `${name} run evaluated these modules itself`,
      );
    }
  });
});
