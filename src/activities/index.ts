import type { ActivityDeps } from './deps';
import { createMarketoActivities } from './marketo-users';
import { createSupportActivities } from './support';
import type { MarketoActivities, SupportActivities } from './types';

export type { ActivityDeps } from './deps';
export type { MarketoActivities, SupportActivities } from './types';

/**
 * Two groups for two task queues: Marketo calls (rate limited by the server across every worker) and the rest.
 */
export function createActivities(deps: ActivityDeps): {
  marketo: MarketoActivities;
  support: SupportActivities;
} {
  return { marketo: createMarketoActivities(deps), support: createSupportActivities(deps) };
}
