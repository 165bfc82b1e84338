import type { ActivityDeps } from './deps';
import type { SweepBookkeepingActivities } from './types';

/** What a sweep reads and records beside Marketo: who the orchestrator is, managed lifecycles, first sightings. */
export function createSweepBookkeepingActivities({
  marketo,
  sweep,
}: Pick<ActivityDeps, 'marketo' | 'sweep'>): SweepBookkeepingActivities {
  return {
    getSweepContext: async (options) => {
      const [token, managed] = await Promise.all([
        marketo.getTokenInfo(),
        options?.managed === false ? {} : sweep.managedExpiries(),
      ]);
      return { selfEmail: token.scope, managed };
    },

    managedLifecyclesOf: async (emails) => {
      if (sweep.managedLifecyclesOf) return sweep.managedLifecyclesOf(emails);
      const all = await sweep.managedExpiries();
      const wanted = new Set(emails.map((e) => e.toLowerCase()));
      return Object.fromEntries(Object.entries(all).filter(([email]) => wanted.has(email)));
    },

    firstSeenOf: async (userids) => (await sweep.memory.firstSeenOf?.(userids)) ?? {},

    currentManagedExpiry: (workflowId) => sweep.currentManagedExpiry(workflowId),

    recordFirstSeen: (userids, at) => sweep.memory.recordFirstSeen(userids, at),
  };
}
