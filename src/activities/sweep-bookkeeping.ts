import type { ActivityDeps } from './deps';
import type { SweepBookkeepingActivities } from './types';

/** What a sweep reads and records beside Marketo: who the orchestrator is, managed lifecycles, first sightings. */
export function createSweepBookkeepingActivities({
  marketo,
  sweep,
  usage,
}: Pick<ActivityDeps, 'marketo' | 'sweep' | 'usage'>): SweepBookkeepingActivities {
  return {
    getSweepContext: async () => ({ selfEmail: (await marketo.getTokenInfo()).scope }),

    managedLifecyclesOf: (emails) => sweep.managedLifecyclesOf(emails),

    firstSeenOf: (userids) => sweep.memory.firstSeenOf(userids),

    currentManagedExpiry: (workflowId) => sweep.currentManagedExpiry(workflowId),

    recordFirstSeen: (userids, at) => sweep.memory.recordFirstSeen(userids, at),

    // The instance as the collector keys it: this worker's Marketo base URL (no call is made).
    usageOfUsers: (userids) => usage.lastUsedOf(marketo.baseUrl, userids),
  };
}
