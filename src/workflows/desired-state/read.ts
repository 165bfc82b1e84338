/**
 * A plan's read of Marketo, run by a worker because only workers hold Marketo's credentials: one listing of
 * allusers.json (page by page), the roles, the orchestrator's own user, and user.json for each API-only user
 * among the emails the plan asks about. Every call is a one-call activity on the Marketo queue, so a plan stays
 * inside the call budget shared with every lifecycle.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MarketoActivities, SupportActivities, UserSummaryView } from '../../activities/types';
import {
  marketoReadInputSchema,
  type MarketoReading,
  type MarketoReadInput,
  type MarketoUserSeen,
} from '../../desired-state/marketo-reading';
import { MARKETO_QUEUE_SUFFIX } from '../lifecycle/activities';

const PAGE_SIZE = 200;
/** user.json reads in flight at once: well inside Marketo's recommended 5 concurrent calls. */
const DETAIL_CONCURRENCY = 4;

// A plan is read by a person or a CI job waiting for it: a few quick retries, then the plan fails and says so.
const OPTIONS = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
  },
} as const;

async function listWanted(marketo: MarketoActivities, wanted: Set<string>) {
  const found: UserSummaryView[] = [];
  let pages = 0;
  for (let offset = 0; ; ) {
    const page = await marketo.listUsersPage(offset, PAGE_SIZE);
    pages += 1;
    found.push(...page.filter((u) => wanted.has(u.email.toLowerCase())));
    if (page.length < PAGE_SIZE) return { found, pages };
    offset += page.length;
  }
}

async function seen(marketo: MarketoActivities, summary: UserSummaryView): Promise<MarketoUserSeen | null> {
  const base = { email: summary.email.toLowerCase(), userid: summary.userid, apiOnly: summary.apiOnly };
  if (!summary.apiOnly) return { ...base, detail: null };
  const user = await marketo.getUser(summary.userid);
  if (!user) return null;
  const { id, firstName, lastName, isLocked, lockedReason, expiresAt, roles } = user;
  return { ...base, detail: { id, firstName, lastName, isLocked, lockedReason, expiresAt, roles } };
}

export async function desiredStateReadWorkflow(rawInput: MarketoReadInput): Promise<MarketoReading> {
  const { emails } = marketoReadInputSchema.parse(rawInput);
  const { taskQueue } = workflowInfo();
  const marketo = proxyActivities<MarketoActivities>({
    taskQueue: `${taskQueue}${MARKETO_QUEUE_SUFFIX}`,
    ...OPTIONS,
  });
  const support = proxyActivities<SupportActivities>(OPTIONS);
  const [context, capabilities, roles] = await Promise.all([
    support.getSweepContext(),
    support.getAdminCapabilities(),
    marketo.listRoles(),
  ]);
  const { found, pages } = await listWanted(marketo, new Set(emails.map((e) => e.toLowerCase())));
  const users: MarketoUserSeen[] = [];
  for (let i = 0; i < found.length; i += DETAIL_CONCURRENCY) {
    const batch = await Promise.all(found.slice(i, i + DETAIL_CONCURRENCY).map((u) => seen(marketo, u)));
    for (const one of batch) if (one) users.push(one);
  }
  return {
    selfEmail: context.selfEmail.toLowerCase(),
    canCreateRoles: capabilities.canCreateRoles,
    canCreateServices: capabilities.canCreateServices,
    roles,
    users,
    pagesListed: pages,
  };
}
