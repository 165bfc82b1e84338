/**
 * Visibility a page at a time: every page newest first with its memos decoded through the payload codec, the next
 * page asked for before the caller is done with the current one, and a caller that stops early never leaves a
 * failing request behind to crash the process.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowClient } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EMAIL_MEMO_FIELD, MauPhase } from '../../src/domain/search-attributes';
import { createDataConverter } from '../../src/security/data-converter';
import { loadOrCreateKeyFile } from '../../src/security/keyring';
import { visibilityPages, type VisibleExecution } from '../../src/visibility-pages';
import { withDevServer } from '../helpers/temporal-env';
import { eventually } from '../helpers/lifecycle-harness';
import { removeDir, tempDir } from '../cli/support';

async function collect(pages: AsyncGenerator<VisibleExecution[]>): Promise<VisibleExecution[][]> {
  const all: VisibleExecution[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe('visibility pages (dev server)', () => {
  let env: TestWorkflowEnvironment;
  withDevServer((ready) => {
    env = ready;
  });

  it('pages newest first, decodes the memo fields asked for, and stops at the last page', async () => {
    const dir = tempDir('pages');
    try {
      const keyring = await loadOrCreateKeyFile(path.join(dir, 'keys.json'), {});
      const client = new WorkflowClient({
        connection: env.connection,
        dataConverter: createDataConverter(keyring),
      });
      const stamp = Date.now().toString(36);
      for (let i = 0; i < 5; i++) {
        await client.start('pagesTestWorkflow', {
          taskQueue: `nobody-${stamp}`,
          workflowId: `pages-${stamp}-${i}`,
          memo: { [EMAIL_MEMO_FIELD]: `user${i}@example.com`, other: 'not asked for' },
          typedSearchAttributes: [{ key: MauPhase, value: i % 2 ? 'active' : 'provisioning' }],
        });
      }
      const query = `WorkflowId STARTS_WITH 'pages-${stamp}-'`;
      const pages = await eventually(async () => {
        const found = await collect(
          visibilityPages(client, { query, pageSize: 2, memoFields: [EMAIL_MEMO_FIELD] }),
        );
        assert.equal(found.flat().length, 5);
        return found;
      });
      assert.deepEqual(
        pages.map((page) => page.length),
        [2, 2, 1],
      );
      const rows = pages.flat();
      assert.deepEqual(
        rows.map((row) => row.memo),
        [4, 3, 2, 1, 0].map((i) => ({ [EMAIL_MEMO_FIELD]: `user${i}@example.com` })),
      );
      assert.deepEqual(
        rows.map((row) => row.typedSearchAttributes.get(MauPhase)),
        ['provisioning', 'active', 'provisioning', 'active', 'provisioning'],
      );
      assert.ok(
        rows.every((row) => row.status === 'RUNNING' && row.startTime.getTime() > Date.now() - 600_000),
      );
      await client.workflowService.terminateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: `pages-${stamp}-4` },
      });
      const terminated = await eventually(async () => {
        const found = (
          await collect(visibilityPages(client, { query, pageSize: 10, memoFields: [] }))
        ).flat();
        const row = found.find((each) => each.workflowId === `pages-${stamp}-4`);
        assert.equal(row?.status, 'TERMINATED');
        return row;
      });
      assert.deepEqual(terminated.memo, {}, 'memo fields not asked for are not decoded');
    } finally {
      removeDir(dir);
    }
  });
});

describe('visibility pages (a server that fails the page after the one read)', () => {
  it('asks for the next page before the caller is done, and a caller that stops early crashes nothing', async () => {
    const asked: number[] = [];
    const failing = {
      options: { namespace: 'default', loadedDataConverter: { payloadCodecs: [], payloadConverter: {} } },
      workflowService: {
        listWorkflowExecutions: ({ nextPageToken }: { nextPageToken: Uint8Array }) => {
          asked.push(nextPageToken.length);
          return nextPageToken.length === 0
            ? Promise.resolve({ executions: [], nextPageToken: new Uint8Array([1]) })
            : Promise.reject(new Error('the server failed the prefetched page'));
        },
      },
    } as unknown as WorkflowClient;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for await (const page of visibilityPages(failing, { query: '', pageSize: 1, memoFields: [] })) {
        assert.deepEqual(page, []);
        assert.deepEqual(asked, [0, 1], 'the second page was asked for while the first was in hand');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
