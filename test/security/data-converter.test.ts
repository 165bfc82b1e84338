import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowClient, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createDataConverter, failureConverterPath } from '../../src/security/data-converter';
import { Keyring } from '../../src/security/keyring';
import { bundleInlineWorkflows } from '../helpers/inline-workflows';
import { withDevServer } from '../helpers/temporal-env';

const EMAIL = 'secret.person@example.com';
const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test');

function serializedFailure(failure: temporal.api.failure.v1.IFailure): Buffer {
  return Buffer.from(temporal.api.failure.v1.Failure.encode(failure).finish());
}

describe('createDataConverter: failures', () => {
  it('encodes failure messages and stack traces, then encrypts them', async () => {
    const converter = loadDataConverter(createDataConverter(keyring));
    const error = ApplicationFailure.nonRetryable(`Marketo rejected user ${EMAIL}`, 'MarketoError', {
      email: EMAIL,
    });
    const failure = await encodeErrorToFailure(converter, error);

    assert.equal(failure.message, 'Encoded failure');
    assert.equal(failure.stackTrace, '');
    assert.ok(failure.encodedAttributes, 'message and stack must move to encoded attributes');
    const bytes = serializedFailure(failure);
    assert.ok(!bytes.includes(EMAIL), 'email readable in the serialized failure');
    assert.ok(!bytes.includes('Marketo rejected'), 'message readable in the serialized failure');

    const decoded = await decodeOptionalFailureToOptionalError(converter, failure);
    assert.ok(decoded instanceof ApplicationFailure);
    assert.equal(decoded.message, `Marketo rejected user ${EMAIL}`);
    assert.equal(decoded.type, 'MarketoError');
    assert.deepEqual(decoded.details, [{ email: EMAIL }]);
  });

  it('differs from the SDK default, which would leave the email in clear text', async () => {
    const plain = loadDataConverter();
    const failure = await encodeErrorToFailure(plain, ApplicationFailure.create({ message: `for ${EMAIL}` }));
    assert.ok(serializedFailure(failure).includes(EMAIL));
  });

  it('points at a module whose failureConverter the SDK can load', () => {
    const converter = loadDataConverter(createDataConverter(keyring));
    const failure = converter.failureConverter.errorToFailure(new Error(EMAIL), defaultPayloadConverter);
    assert.equal(failure.message, 'Encoded failure');
    assert.match(failureConverterPath, /failure-converter\.(ts|js)$/);
  });
});

const WORKFLOWS_SOURCE = `
const { proxyActivities, ApplicationFailure } = require('@temporalio/workflow');
const { recordVisit } = proxyActivities({ startToCloseTimeout: '10 seconds' });
exports.visitWorkflow = async (name) => recordVisit(name);
exports.rejectWorkflow = async (email) => {
  throw ApplicationFailure.nonRetryable('workflow gives up on ' + email, 'LifecycleError');
};
`;

describe('createDataConverter: nothing readable in real workflow history', () => {
  let env: TestWorkflowEnvironment;
  withDevServer((devServer) => {
    env = devServer;
  });

  it('encrypts inputs, results and failures (activity and workflow) end to end', async () => {
    const dataConverter = createDataConverter(keyring);
    const taskQueue = `security-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      dataConverter,
      // Inline workflows: the shared fixtures have no workflow that fails by itself (that is the path the
      // sandbox converter handles). Errors thrown by workflow code are converted inside the sandbox, by the
      // bundled converter.
      workflowBundle: await bundleInlineWorkflows(WORKFLOWS_SOURCE, { failureConverterPath }),
      activities: {
        recordVisit(name: string): Promise<string> {
          if (name.startsWith('fail:')) {
            throw ApplicationFailure.nonRetryable(`cannot visit ${name.slice(5)}`, 'VisitError');
          }
          return Promise.resolve(`visited ${name}`);
        },
      },
    });
    const client = new WorkflowClient({ connection: env.connection, dataConverter });
    const plainClient = new WorkflowClient({ connection: env.connection });

    await worker.runUntil(async () => {
      const ok = await client.start<(name: string) => Promise<string>>('visitWorkflow', {
        taskQueue,
        workflowId: `ok-${taskQueue}`,
        args: [EMAIL],
      });
      assert.equal(await ok.result(), `visited ${EMAIL}`);

      const failing = await client.start<(name: string) => Promise<string>>('visitWorkflow', {
        taskQueue,
        workflowId: `fail-${taskQueue}`,
        args: [`fail:${EMAIL}`],
      });
      const error = await failing.result().then(
        () => assert.fail('expected the workflow to fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ActivityFailure);
      assert.ok(error.cause.cause instanceof ApplicationFailure);
      assert.equal(error.cause.cause.message, `cannot visit ${EMAIL}`);

      const rejecting = await client.start<(email: string) => Promise<void>>('rejectWorkflow', {
        taskQueue,
        workflowId: `reject-${taskQueue}`,
        args: [EMAIL],
      });
      const rejection = await rejecting.result().then(
        () => assert.fail('expected the workflow to fail'),
        (e: unknown) => e,
      );
      assert.ok(rejection instanceof WorkflowFailedError);
      assert.ok(rejection.cause instanceof ApplicationFailure);
      assert.equal(rejection.cause.message, `workflow gives up on ${EMAIL}`);

      for (const handle of [ok, failing, rejecting]) {
        const history = await plainClient.getHandle(handle.workflowId).fetchHistory();
        const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
        assert.ok(bytes.length > 0);
        assert.ok(!bytes.includes(EMAIL), `email readable in history of ${handle.workflowId}`);
        for (const clear of ['cannot visit', 'gives up']) {
          assert.ok(!bytes.includes(clear), `failure message readable in history of ${handle.workflowId}`);
        }
      }
    });
  });
});
