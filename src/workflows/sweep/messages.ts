// The sweep's messages, shared by the workflow and its clients. Their home is src/workflows/messages.ts with
// every other workflow's (issue 13): this file goes when the lifecycle's branch brings them there.
import { defineQuery } from '@temporalio/workflow';
import type { SweepCounts } from '../../domain/sweep-policy';

export interface SweepProgress {
  pages: number;
  pageOffset: number;
  counts: SweepCounts;
  dryRun: boolean;
  done: boolean;
}
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');
