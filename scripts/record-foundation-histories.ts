/**
 * Records the histories the foundation replay test replays. Run again only when a history must change on
 * purpose (a new workflow version with patching); a replay failure otherwise means running workflows would break.
 */
import { Worker } from '@temporalio/worker';
import { createFoundationActivities } from '../test/fixtures/foundation-activities';
import { saveHistory } from '../test/helpers/histories';
import { startDevServer } from '../test/helpers/temporal-env';

async function main(): Promise<void> {
  const env = await startDevServer();
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'record',
      workflowsPath: require.resolve('../test/fixtures/foundation-workflows'),
      activities: createFoundationActivities([]),
    });
    await worker.runUntil(async () => {
      await env.client.workflow.execute('visitWorkflow', {
        taskQueue: 'record',
        workflowId: 'visit',
        args: ['ada'],
      });
      // A real 2 s timer on the dev server: the history holds TimerStarted and TimerFired like a long one would.
      await env.client.workflow.execute('sleepThenVisitWorkflow', {
        taskQueue: 'record',
        workflowId: 'sleep-then-visit',
        args: ['grace', 2 / 86400],
      });
    });
    for (const id of ['visit', 'sleep-then-visit']) {
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      console.log(`saved ${saveHistory('foundation', id, history)}`);
    }
  } finally {
    await env.teardown();
  }
}

void main();
