import { ApplicationFailure } from '@temporalio/common';
import { formatIssues } from '../domain/lifecycle-request';
import { auditEventSchema } from '../store/types';
import type { ActivityDeps } from './deps';
import type { AuditActivities } from './types';

/** Lifecycle and sweep events into the audit log; the log drops a repeated id, so a retried append stores once. */
export function createAuditActivities({ audit }: Pick<ActivityDeps, 'audit'>): AuditActivities {
  return {
    appendAuditEvent: async (event) => {
      const parsed = auditEventSchema.safeParse(event);
      if (!parsed.success) {
        // The same event would be refused on every retry: say so once instead of retrying for a day.
        throw ApplicationFailure.nonRetryable(
          `audit event refused: ${formatIssues(parsed.error).join('; ')}`,
          'InvalidAuditEvent',
        );
      }
      await audit.append(parsed.data);
    },
  };
}
