import type { AttestOptions } from '../../client';
import type { LifecycleStatus } from '../../domain/lifecycle-status';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  by: { type: 'string' },
  note: { type: 'string' },
  decision: { type: 'string' },
} as const;

/** The answer as a person reads it: kept until when, or locked. */
function describeAttestation(status: LifecycleStatus): string {
  const last = status.attestation?.last;
  if (last?.decision === 'revoke') {
    return `Attested by ${last.by}: revoke. ${status.email} is ${status.phase}: ${status.deactivation?.outcome ?? '-'}`;
  }
  const next = status.attestation?.nextRequestAt;
  return `Attested ${status.email} by ${last?.by ?? '?'}: keep${next ? `; the owner is asked again at ${next}` : ''}`;
}

export const attestCommand: Command = {
  help: `Usage: marketo-api-users attest EMAIL --by WHO [--note TEXT] [--decision keep|revoke] [--json] [--data-dir DIR]

The owner vouches for EMAIL's access (keep, the default) or withdraws it (revoke: the user is locked, and
the command returns once it is). Under a policy's --attest-every the owner is asked with the evidence (role,
permissions, last use, expiry); no answer within --attestation-window locks the user. Every answer restarts
the clock, and goes to the audit log with who, when, the evidence and the decision. An unknown or ended
lifecycle is refused (exit 2), and nothing is recorded.

Examples:
  marketo-api-users attest crm-sync@example.com --by owner@example.com --note "still syncing, OPS-1234"
  marketo-api-users attest bi-export@example.com --by owner@example.com --decision revoke --note "export retired"
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    if (values.by === undefined) throw new UsageError(['by: required (--by WHO, the owner who attests)']);
    const options = {
      by: values.by,
      ...(values.note !== undefined ? { note: values.note } : {}),
      ...(values.decision !== undefined ? { decision: values.decision } : {}),
    } as AttestOptions;
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.attest(email, options);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress(`recording the attestation of ${email}`);
      const status = await client.attest(email, options);
      output.done();
      if (output.json) output.result(status);
      else output.line(describeAttestation(status));
      return EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};
