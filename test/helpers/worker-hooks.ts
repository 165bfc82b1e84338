/**
 * Hooks (MARKETO_API_USERS_WORKER_HOOKS) for the product's worker entry run as a child process a test can
 * SIGKILL (see workerProcessEnv in ./worker-process.ts):
 *
 * - quiet SDK logs; notifications as JSON lines in MAU_NOTIFICATIONS_FILE, which the test reads;
 * - a dead worker's sticky queue is given up on after 1 s instead of the default 10 s, so a replacement picks
 *   the work up sooner;
 * - MAU_MARKETO_CONCURRENCY: concurrent Marketo activities, with no server-side rate;
 * - MAU_STALL_AFTER_USER=1 makes a kill point exact: when the `getUser` activity asks for the new user (the last
 *   call of the user step), the worker stops taking support activities, so the next step (creating the custom
 *   service) stays scheduled and no activity is running when the test kills the process. Otherwise a kill would
 *   most likely land inside an activity. Prints `stalled` then.
 *
 * Prints `ready` once polling.
 */
import fs from 'node:fs';
import { Context } from '@temporalio/activity';
import type { LifecycleWorkers, WorkerHooks } from '../../src/app/worker';
import type { LifecycleNotification, Notifier } from '../../src/notifications';
import { installQuietRuntime } from './quiet-runtime';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Notifications as JSON lines in a file the test reads. */
class FileNotifier implements Notifier {
  constructor(private readonly file: string) {}
  notify(event: LifecycleNotification): Promise<void> {
    fs.appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    return Promise.resolve();
  }
}

const stallAfterUser = process.env['MAU_STALL_AFTER_USER'] === '1';
let workers: LifecycleWorkers | undefined;

function stallSupportActivities(): void {
  if (Context.current().info.activityType !== 'getUser') return;
  if (workers?.support.getState() === 'RUNNING') {
    workers.support.shutdown();
    console.log('stalled');
  }
}

export const hooks: WorkerHooks = {
  setUp: installQuietRuntime,
  deps(deps) {
    const notifier = new FileNotifier(required('MAU_NOTIFICATIONS_FILE'));
    if (!stallAfterUser) return { ...deps, notifier };
    // This process's own client (its private fields rule out a wrapper object): only its getUser changes.
    const getUser = deps.marketo.getUser.bind(deps.marketo);
    deps.marketo.getUser = (...args) => {
      stallSupportActivities();
      return getUser(...args);
    };
    return { ...deps, notifier };
  },
  workers(options) {
    const concurrency = process.env['MAU_MARKETO_CONCURRENCY'];
    return {
      ...options,
      separateWorkflowWorker: stallAfterUser,
      workflowTuning: { stickyQueueScheduleToStartTimeout: '1 second' },
      ...(concurrency ? { marketoConcurrency: Number(concurrency) } : {}),
    };
  },
  started(running) {
    workers = running;
    console.log('ready');
  },
};
