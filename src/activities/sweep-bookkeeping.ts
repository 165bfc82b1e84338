import type { ActivityDeps } from './deps';
import type { SweepBookkeepingActivities } from './types';

/** What a sweep reads and records beside Marketo: who the orchestrator is, managed lifecycles, first sightings. */
export function createSweepBookkeepingActivities({
  marketo,
  sweep,
}: Pick<ActivityDeps, 'marketo' | 'sweep'>): SweepBookkeepingActivities {
  return {
    getSweepContext: async () => ({ selfEmail: (await marketo.getTokenInfo()).scope }),

    managedLifecyclesOf: (emails) => sweep.managedLifecyclesOf(emails),

    firstSeenOf: (userids) => sweep.memory.firstSeenOf(userids),

    currentManagedExpiry: (workflowId) => sweep.currentManagedExpiry(workflowId),

    recordFirstSeen: (userids, at) => sweep.memory.recordFirstSeen(userids, at),
  };
}
