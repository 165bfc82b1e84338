// The baseline for the orchestration overhead: a workflow with as many no-op activities as a lifecycle's
// provisioning chain has, on the same server and worker settings.
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1 minute' });

export async function baselineChainWorkflow(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await noop(i);
  return steps;
}
