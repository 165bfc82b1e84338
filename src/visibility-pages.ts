/**
 * Visibility read a page at a time, as fast as the server answers: the next page is asked for while the current
 * one is decoded, and a page's memos go through the payload codec in one call. The SDK's `workflows.list`
 * iterator does neither (it decodes each memo alone, and asks for the next page only once the last execution of
 * the current one was consumed), which made `list` over 10,000 lifecycles wait on eleven round trips in a row.
 */
import type { WorkflowClient } from '@temporalio/client';
import type { Payload, TypedSearchAttributes } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { temporal } from '@temporalio/proto';

type RawExecution = temporal.api.workflow.v1.IWorkflowExecutionInfo;
type ListResponse = temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;

/** What `list` needs of one execution: less than the SDK's WorkflowExecutionInfo, and only decoded once. */
export interface VisibleExecution {
  workflowId: string;
  runId: string;
  /** `RUNNING`, `COMPLETED`, `CANCELLED`, ...: as the SDK's WorkflowExecutionInfo names them. */
  status: string;
  startTime: Date;
  /** The memo fields asked for, decoded through the payload codec; the others are left out. */
  memo: Record<string, unknown>;
  typedSearchAttributes: TypedSearchAttributes;
}

const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';

function statusName(code: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined): string {
  const name = temporal.api.enums.v1.WorkflowExecutionStatus[code ?? 0] ?? 'UNSPECIFIED';
  const short = name.startsWith(STATUS_PREFIX) ? name.slice(STATUS_PREFIX.length) : name;
  return short === 'CANCELED' ? 'CANCELLED' : short;
}

function startTimeOf(raw: RawExecution): Date {
  const seconds = Number(raw.startTime?.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((raw.startTime?.nanos ?? 0) / 1_000_000));
}

/** Every wanted memo field of a page through the codec in one call, then back to values. */
async function decodeMemos(
  workflows: WorkflowClient,
  executions: RawExecution[],
  memoFields: readonly string[],
): Promise<Record<string, unknown>[]> {
  const { payloadCodecs, payloadConverter } = workflows.options.loadedDataConverter;
  const slots: { row: number; field: string }[] = [];
  const encoded: Payload[] = [];
  executions.forEach((raw, row) => {
    for (const field of memoFields) {
      const payload = raw.memo?.fields?.[field];
      if (payload) {
        slots.push({ row, field });
        encoded.push(payload);
      }
    }
  });
  const decoded = encoded.length > 0 ? await decode(payloadCodecs, encoded) : [];
  const memos = executions.map((): Record<string, unknown> => ({}));
  slots.forEach(({ row, field }, i) => {
    memos[row]![field] = payloadConverter.fromPayload(decoded[i]!);
  });
  return memos;
}

async function decodePage(
  workflows: WorkflowClient,
  response: ListResponse,
  memoFields: readonly string[],
): Promise<VisibleExecution[]> {
  const memos = await decodeMemos(workflows, response.executions, memoFields);
  return response.executions.map((raw, i) => ({
    workflowId: raw.execution?.workflowId ?? '',
    runId: raw.execution?.runId ?? '',
    status: statusName(raw.status),
    startTime: startTimeOf(raw),
    memo: memos[i]!,
    typedSearchAttributes: decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields),
  }));
}

/**
 * The executions matching `query`, one page per step, newest first as visibility answers. While the caller works
 * on a page the next one is already on its way; a caller that stops early leaves at most that one call unread.
 */
export async function* visibilityPages(
  workflows: WorkflowClient,
  options: { query: string; pageSize: number; memoFields: readonly string[] },
): AsyncGenerator<VisibleExecution[]> {
  const fetchPage = (nextPageToken: Uint8Array): Promise<ListResponse> => {
    const page = workflows.workflowService.listWorkflowExecutions({
      namespace: workflows.options.namespace,
      query: options.query,
      pageSize: options.pageSize,
      nextPageToken,
    });
    // A prefetched page nobody reads (the caller stopped, or an earlier one failed) must not fail the process.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<ListResponse> | undefined = fetchPage(new Uint8Array());
  while (next) {
    const response: ListResponse = await next;
    const token = response.nextPageToken;
    next = token && token.length > 0 ? fetchPage(token) : undefined;
    yield await decodePage(workflows, response, options.memoFields);
  }
}
