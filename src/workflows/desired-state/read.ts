/**
 * A plan's read of Marketo, run by a worker because only workers hold Marketo's credentials: one listing of
 * allusers.json (page by page), the roles, the orchestrator's own user, and user.json for each API-only user
 * among the emails the plan asks about. Every call is a one-call activity on the Marketo queue, so a plan stays
 * inside the call budget shared with every lifecycle.
 */
import type { MarketoActivities, UserSummaryView } from '../../activities/types';
import { mapLimited } from '../../domain/map-limited';
import {
  marketoReadInputSchema,
  type MarketoReading,
  type MarketoReadInput,
  type MarketoUserSeen,
} from '../../desired-state/marketo-reading';
import { DETAIL_CONCURRENCY, waitedReads } from '../waited-reads';

const PAGE_SIZE = 200;

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
  const { marketo, support } = waitedReads();
  const [context, capabilities, roles] = await Promise.all([
    support.getSweepContext(),
    support.getAdminCapabilities(),
    marketo.listRoles(),
  ]);
  const { found, pages } = await listWanted(marketo, new Set(emails.map((e) => e.toLowerCase())));
  const seenUsers = await mapLimited(found, DETAIL_CONCURRENCY, (u) => seen(marketo, u));
  const users = seenUsers.filter((one): one is MarketoUserSeen => one !== null);
  return {
    selfEmail: context.selfEmail.toLowerCase(),
    canCreateRoles: capabilities.canCreateRoles,
    canCreateServices: capabilities.canCreateServices,
    roles,
    users,
    pagesListed: pages,
  };
}
