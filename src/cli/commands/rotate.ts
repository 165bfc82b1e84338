import type { RotateOptions } from '../../client';
import type { LifecycleStatus } from '../../domain/lifecycle-status';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  overlap: { type: 'string' },
  reason: { type: 'string' },
  'confirm-switched': { type: 'boolean' },
} as const;

/** What a rotation's status means for the integration, in one line. */
export function describeRotation(status: LifecycleStatus): string {
  const rotation = status.rotation;
  if (rotation?.stage === 'overlap') {
    return `Rotated ${status.email}: new client id ${status.clientId} (fetch it with \`credentials\`); the old ${rotation.retiring.clientId} works until ${rotation.overlapEndsAt}`;
  }
  if (status.pendingOperatorAction) {
    return `Rotation of ${status.email} waits for the operator (${status.pendingOperatorAction.step}): \`status ${status.email}\` says what to do`;
  }
  if (rotation) return `Rotation ${rotation.number} of ${status.email} is ${rotation.stage}`;
  const last = status.lastRotation;
  if (last) return `Rotation ${last.number} of ${status.email} ${last.outcome}: ${last.detail}`;
  return `${status.email} is ${status.phase}`;
}

export const rotateCommand: Command = {
  help: `Usage: marketo-api-users rotate EMAIL [--overlap 7d] [--reason R] [--actor NAME] [--json] [--data-dir DIR]
       marketo-api-users rotate EMAIL --confirm-switched [--actor NAME] [--json]

Rotates the secret of EMAIL's custom service without downtime. Marketo cannot regenerate a secret, so a
second custom service is made for the same API-only user (on a real instance an operator makes it, as
\`status EMAIL\` says). From then on \`credentials\` hands over the new one, and both work until the
overlap ends (default 7d, at least 30s). Then the old service is deleted and proven dead: its client id
must be refused a token before the rotation counts as done. --confirm-switched says the integration uses
the new credentials already: the old service is retired now. A second rotate during an overlap is refused
(exit 2) with the time the current one ends.

Examples:
  marketo-api-users rotate crm-sync@example.com --overlap 2d --reason "quarterly rotation"
  marketo-api-users rotate crm-sync@example.com --confirm-switched
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    const actor = actorOf(values.actor);
    const confirm = values['confirm-switched'] === true;
    if (confirm && (values.overlap !== undefined || values.reason !== undefined)) {
      throw new UsageError([
        'confirm-switched: takes no --overlap or --reason (it ends the current rotation)',
      ]);
    }
    const options: RotateOptions = {
      actor,
      ...(values.overlap !== undefined ? { overlap: values.overlap } : {}),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
    };
    const { LifecycleClient, validateInput } = clientApi();
    if (confirm) validateInput.confirmSwitch(email, { actor });
    else validateInput.rotate(email, options);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress(
        confirm ? `retiring the old service of ${email}` : `staging a new service for ${email}`,
      );
      const status = confirm
        ? await client.confirmSwitch(email, { actor })
        : await client.rotate(email, options);
      output.done();
      if (output.json) output.result(status);
      else output.line(describeRotation(status));
      return EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};
