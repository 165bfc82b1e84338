import { ApplicationFailure } from '@temporalio/common';
import { isMarketoApiError } from '../marketo/errors';
import { WORKFLOW_ID_KEY_ENV } from '../security/keyring';
import type { ActivityDeps } from './deps';
import type { CredentialActivities, CredentialsProof, ServiceVerification } from './types';

type VerifyInput = Parameters<CredentialActivities['verifyServiceCredentials']>[0];

/** Keys and secrets: the worker's workflow-id key, and the service credentials in the secret store. */
export function createCredentialActivities({
  marketo,
  secrets,
  workflowIdKeyFingerprint,
}: Pick<ActivityDeps, 'marketo' | 'secrets' | 'workflowIdKeyFingerprint'>): CredentialActivities {
  return {
    checkWorkflowIdKey: (fingerprint) => {
      if (fingerprint === workflowIdKeyFingerprint) return Promise.resolve();
      return Promise.reject(workflowIdKeyMismatch(fingerprint, workflowIdKeyFingerprint));
    },

    verifyServiceCredentials: (input) => verifyServiceCredentials({ marketo, secrets }, input),

    deleteSecret: (secretRef) => secrets.delete(secretRef),

    proveCredentialsDead: (service) => proveCredentialsDead({ marketo, secrets }, service),
  };
}

/** The starter's workflow-id key is not the worker's: its workflow ids name other lifecycles than the worker's. */
function workflowIdKeyMismatch(started: string, own: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'WorkflowIdKeyMismatch',
    message:
      `This lifecycle was started with another workflow-id key (fingerprint ${started}) than the worker's ` +
      `(${own}), so the same email gets another workflow id and a second lifecycle would take over the first ` +
      `one's user; nothing was created. Use the same key file (keys.json, or the same ${WORKFLOW_ID_KEY_ENV}) ` +
      'for the CLI and the worker, then onboard again.',
    nonRetryable: true,
  });
}

async function verifyServiceCredentials(
  { marketo, secrets }: Pick<ActivityDeps, 'marketo' | 'secrets'>,
  { secretRef, clientId, expectedScope }: VerifyInput,
): Promise<ServiceVerification> {
  const stored = await secrets.get(secretRef);
  if (!stored) return { ok: false, problem: `no credentials are stored under ${secretRef}` };
  if (stored.clientId !== clientId) {
    return {
      ok: false,
      problem: `the stored credentials belong to client id ${stored.clientId}, not ${clientId}`,
    };
  }
  try {
    const token = await marketo.verifyCredentials(stored.clientId, stored.clientSecret);
    if (token.scope.toLowerCase() !== expectedScope.toLowerCase()) {
      return {
        ok: false,
        problem: `the service belongs to ${token.scope}, not to ${expectedScope}: choose that user as its API Only User`,
      };
    }
    return { ok: true };
  } catch (error) {
    if (isMarketoApiError(error) && error.kind === 'invalid_credentials') {
      return {
        ok: false,
        problem: 'Marketo refused the client id and secret: check both under View Details',
      };
    }
    throw error;
  }
}

/** Identity calls only, which Marketo does not count against the daily quota. */
async function proveCredentialsDead(
  { marketo, secrets }: Pick<ActivityDeps, 'marketo' | 'secrets'>,
  { clientId, secretRef }: { clientId: string; secretRef: string },
): Promise<CredentialsProof> {
  const stored = await secrets.get(secretRef);
  if (!stored || stored.clientId !== clientId) {
    return {
      dead: false,
      problem: `the secret of client id ${clientId} is no longer stored under ${secretRef}, so nothing can prove it dead`,
    };
  }
  try {
    await marketo.verifyCredentials(stored.clientId, stored.clientSecret);
  } catch (error) {
    if (isMarketoApiError(error) && error.kind === 'invalid_credentials') return { dead: true };
    throw error;
  }
  return { dead: false, problem: `client id ${clientId} still gets a token` };
}
