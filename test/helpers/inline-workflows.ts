/**
 * Workflows written inline in a test (CommonJS source in a string), bundled for a real worker: for tests whose
 * point is a workflow the product does not have (one that fails by itself, one that outlives its heartbeat
 * timeout). The source is bundled from a temp file that resolves the repo's node_modules, which a file under
 * the system's temp folder would not find by itself.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from '@temporalio/worker';
import { silentLogger } from './quiet-runtime';

const REPO_NODE_MODULES = path.resolve(__dirname, '../../node_modules');

export async function bundleInlineWorkflows(
  source: string,
  options: Omit<BundleOptions, 'workflowsPath'> = {},
): Promise<WorkflowBundle> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inline-workflows-'));
  try {
    const workflowsPath = path.join(dir, 'workflows.js');
    await fs.writeFile(workflowsPath, source);
    return await bundleWorkflowCode({
      logger: silentLogger,
      ...options,
      workflowsPath,
      webpackConfigHook: (config) => ({
        ...config,
        resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), REPO_NODE_MODULES] },
      }),
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
