import type { WorkflowClient } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';

/**
 * The expiries that active lifecycles hold, by lowercased email: the sweep corrects Marketo towards them.
 * Reads them from Temporal itself (list, then the status query), so there is no second record to drift.
 */
export function managedExpiriesFrom(client: WorkflowClient): () => Promise<Record<string, string>> {
  return async () => {
    const ids: string[] = [];
    for await (const execution of client.list({
      query: `WorkflowType = 'lifecycleWorkflow' AND ExecutionStatus = 'Running'`,
    })) {
      ids.push(execution.workflowId);
    }
    const managed: Record<string, string> = {};
    const lanes = Array.from({ length: Math.min(10, ids.length) }, async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const status = await client
          .getHandle(id)
          .query(statusQuery)
          .catch(() => undefined);
        if (status?.phase === 'active') managed[status.email.toLowerCase()] = status.expiresAt;
      }
    });
    await Promise.all(lanes);
    return managed;
  };
}
