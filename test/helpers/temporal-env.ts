import { after, before } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installQuietRuntime } from './quiet-runtime';
import { ensureTemporalCli, ensureTestServer, toSdkExecutable } from '../../src/temporal-servers';
import { LIFECYCLE_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { devServerDynamicConfigFlags } from '../../src/temporal-servers/dev-server-flags';
import { searchAttributesToAdd } from '../../src/namespace-setup';

/** A real Temporal dev server (the Temporal CLI), in memory, on a free port. One per test file. */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: toSdkExecutable(ensureTemporalCli()),
      searchAttributes: [...LIFECYCLE_SEARCH_ATTRIBUTES],
      extraArgs: devServerDynamicConfigFlags(),
    },
  });
}

/** The Java time-skipping test server: timers complete as soon as every workflow is waiting. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: toSdkExecutable(ensureTestServer()) },
  });
  // The test server takes no flags for them and cannot list them, but adds them as a cluster would.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: searchAttributesToAdd(LIFECYCLE_SEARCH_ATTRIBUTES),
  });
  return env;
}

/**
 * For a describe block that needs a server and nothing of the product's stack (its own workflows, mocked
 * activities): the server from `start`, started before its tests and torn down after them, even when `ready`
 * (which receives it, so the block keeps a plain `env` variable) failed half-way.
 */
export function withTemporalServer(
  start: () => Promise<TestWorkflowEnvironment>,
  ready: (env: TestWorkflowEnvironment) => void | Promise<void>,
): void {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    env = await start();
    await ready(env);
  });
  after(async () => {
    await env?.teardown();
  });
}

export function withDevServer(ready: (env: TestWorkflowEnvironment) => void | Promise<void>): void {
  withTemporalServer(startDevServer, ready);
}

export function withTimeSkippingServer(ready: (env: TestWorkflowEnvironment) => void | Promise<void>): void {
  withTemporalServer(startTimeSkippingServer, ready);
}
