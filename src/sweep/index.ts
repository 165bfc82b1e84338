import path from 'node:path';
import type { WorkflowClient } from '@temporalio/client';
import type { SweepDeps, SweepMemory } from '../activities/deps';
import { FileFirstSeenStore } from './first-seen-store';
import { currentManagedExpiryFrom, managedLifecyclesOfFrom, type ManagedScope } from './managed-lifecycles';

export { FileFirstSeenStore } from './first-seen-store';
export { currentManagedExpiryFrom, managedLifecyclesOfFrom, type ManagedScope } from './managed-lifecycles';

/**
 * The sweep's dependencies for one worker: Temporal for managed lifecycles, and first sightings in `memory` (the
 * store's), else in the data folder.
 */
export function createSweepDeps(
  client: WorkflowClient,
  dataDir: string,
  scope: ManagedScope,
  memory?: SweepMemory,
): SweepDeps {
  return {
    managedLifecyclesOf: managedLifecyclesOfFrom(client, scope),
    currentManagedExpiry: currentManagedExpiryFrom(client),
    memory: memory ?? new FileFirstSeenStore(path.join(dataDir, 'sweep-first-seen.json')),
  };
}
