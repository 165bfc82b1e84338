/**
 * Loaded by path (DataConverter.failureConverterPath), both in the worker and inside the workflow
 * sandbox bundle, so it must stay deterministic: no Node built-ins, only @temporalio/common.
 *
 * With encodeCommonAttributes, a failure's message and stack trace move into an encoded payload that
 * the payload codec encrypts; history then only shows "Encoded failure". Messages and stacks routinely
 * carry emails (Marketo errors echo the user), which must not sit in history in clear text.
 */
import { DefaultFailureConverter, type FailureConverter } from '@temporalio/common';

export const failureConverter: FailureConverter = new DefaultFailureConverter({
  encodeCommonAttributes: true,
});
