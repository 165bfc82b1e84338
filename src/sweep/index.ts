import path from 'node:path';
import type { WorkflowClient } from '@temporalio/client';
import type { SweepDeps } from '../activities/deps';
import { FileFirstSeenStore } from './first-seen-store';
import { currentManagedExpiryFrom, managedLifecyclesOfFrom, type ManagedScope } from './managed-lifecycles';

export { FileFirstSeenStore } from './first-seen-store';
export { currentManagedExpiryFrom, managedLifecyclesOfFrom, type ManagedScope } from './managed-lifecycles';

/** The sweep's dependencies for one worker: Temporal for managed lifecycles, the data folder for first sightings. */
export function createSweepDeps(client: WorkflowClient, dataDir: string, scope: ManagedScope): SweepDeps {
  return {
    managedLifecyclesOf: managedLifecyclesOfFrom(client, scope),
    currentManagedExpiry: currentManagedExpiryFrom(client),
    memory: new FileFirstSeenStore(path.join(dataDir, 'sweep-first-seen.json')),
  };
}
