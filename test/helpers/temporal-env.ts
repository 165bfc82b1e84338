import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installQuietRuntime } from './quiet-runtime';
import { ensureTemporalCli, ensureTestServer, toSdkExecutable } from '../../src/temporal-servers';

/** A real Temporal dev server (the Temporal CLI), in memory, on a free port. One per test file. */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: { executable: toSdkExecutable(ensureTemporalCli()) },
  });
}

/** The Java time-skipping test server: timers complete as soon as every workflow is waiting. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: toSdkExecutable(ensureTestServer()) },
  });
}
