import { createAdminConsoleActivities } from './admin-console';
import { createAuditActivities } from './audit';
import { createCredentialActivities } from './credentials';
import type { ActivityDeps } from './deps';
import { createMarketoActivities } from './marketo';
import { createNotifyActivities } from './notify';
import { createSweepBookkeepingActivities } from './sweep-bookkeeping';
import type { MarketoActivities, SupportActivities, UsageActivities } from './types';
import { createUsageActivities } from './usage';

export type { ActivityDeps } from './deps';
export type { MarketoActivities, SupportActivities, UsageActivities } from './types';
export { activityInterceptors } from './interceptor';

/**
 * Two groups for two task queues: Marketo calls (rate limited by the server across every worker) and the rest.
 * Each concern's file builds its own activities; their names are the ones workflows call and histories record.
 */
export function createActivities(deps: ActivityDeps): {
  marketo: MarketoActivities & UsageActivities;
  support: SupportActivities;
} {
  return {
    marketo: { ...createMarketoActivities(deps), ...createUsageActivities(deps) },
    support: {
      ...createAdminConsoleActivities(deps),
      ...createCredentialActivities(deps),
      ...createNotifyActivities(deps),
      ...createAuditActivities(deps),
      ...createSweepBookkeepingActivities(deps),
    },
  };
}
