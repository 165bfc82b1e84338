import type { OnboardInput } from '../../client';
import { InputError } from '../../errors';
import { ROLE_REFUSED } from '../../domain/role-choice';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  email: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  role: { type: 'string' },
  permissions: { type: 'string' },
  workspace: { type: 'string' },
  'expires-at': { type: 'string' },
  'expires-in': { type: 'string' },
  reason: { type: 'string' },
  'service-name': { type: 'string' },
  'service-description': { type: 'string' },
  'rotate-every': { type: 'string' },
  'rotation-overlap': { type: 'string' },
  remind: { type: 'string' },
  owner: { type: 'string' },
  ticket: { type: 'string' },
  'attest-every': { type: 'string' },
  'attestation-window': { type: 'string' },
} as const;

export const onboardCommand: Command = {
  help: `Usage: marketo-api-users onboard --email E --first-name F --last-name L --role NAME
         (--expires-at ISO | --expires-in 30d|12h|90m|45s) [--permissions A,B] [--workspace ID|NAME]
         [--reason R] [--service-name N] [--service-description D] [--actor NAME] [--json]
         [--rotate-every 90d [--rotation-overlap 7d]] [--remind 30d,7d,1d] [--data-dir DIR]
         [--owner EMAIL] [--ticket KEY-123] [--attest-every 90d [--attestation-window 14d]]

Starts the lifecycle of the API-only user E (or finds the running one) and waits until it is active or
waits for an operator, then prints the role id, user id, client id, expiry and where the secret is stored.
Onboarding a running email again with the same flags finds it (exit 0); with other names, role, permissions,
reason or expiry it changes nothing and exits 3, one line per differing flag. --expires-in matches when it
is the running lifecycle's lifetime to within a minute. Flags left out are not compared. The audit log
records --actor (default: your OS user name) as who onboarded. --rotate-every rotates the secret on a
durable schedule from activation (see \`rotate\`), each rotation with --rotation-overlap (default 7d).
--remind lists how long before the expiry a reminder goes out (default 30d,7d,1d), each once per expiry;
a lead falling due within a minute of the date being set is skipped (a 20- or 30-day access gets 7d and
1d), and when several fall due together (workers down) only the nearest one is sent.
--owner is who vouches for the access (a person's or team's address), --ticket the issue that asked for it.
With --attest-every the owner is asked that often to confirm with \`attest\`; no answer within
--attestation-window (default 14d) locks the user.

Examples:
  marketo-api-users onboard --email crm-sync@example.com --first-name CRM --last-name Sync \\
    --role "CRM Sync" --permissions "Read-Only Lead,Read-Write Activity" --expires-in 90d
  marketo-api-users onboard --email bi@example.com --first-name BI --last-name Export \\
    --role "Analytics User" --expires-at 2027-03-31T00:00:00Z --reason "TICKET-123" --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const missing = (['email', 'first-name', 'last-name', 'role'] as const).filter(
      (flag) => values[flag] === undefined,
    );
    if (values['expires-at'] === undefined && values['expires-in'] === undefined)
      missing.push('expires-at' as never);
    if (missing.length) {
      throw new UsageError(
        missing.map((flag) =>
          flag === ('expires-at' as never)
            ? 'expires-at: required (or --expires-in)'
            : `${flag}: required (--${flag})`,
        ),
      );
    }
    const workspace = values.workspace;
    const input: OnboardInput = {
      email: values.email!,
      firstName: values['first-name']!,
      lastName: values['last-name']!,
      role: {
        name: values.role!,
        ...(values.permissions !== undefined
          ? { permissions: values.permissions.split(',').map((p) => p.trim()) as never }
          : {}),
        ...(workspace !== undefined
          ? { workspace: /^\d+$/.test(workspace) ? Number(workspace) : workspace }
          : {}),
      },
      ...(values['expires-at'] !== undefined ? { expiresAt: values['expires-at'] } : {}),
      ...(values['expires-in'] !== undefined ? { expiresIn: values['expires-in'] } : {}),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.owner !== undefined ? { owner: values.owner } : {}),
      ...(values.ticket !== undefined ? { ticket: values.ticket } : {}),
      actor: actorOf(values.actor),
      ...policyFlags(values),
      service: {
        ...(values['service-name'] !== undefined ? { displayName: values['service-name'] } : {}),
        ...(values['service-description'] !== undefined
          ? { description: values['service-description'] }
          : {}),
      },
    };
    const { LifecycleClient, validateInput } = clientApi();
    // Bad input is exit 2 before anything connects, whether or not an `up` runs.
    validateInput.onboard(input);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const result = await client.onboard(input, {
        onProgress: (status) => output.progress(`${input.email}: ${status.phase}`),
      });
      output.done();
      if (result.failure?.type === 'InvalidInput' || result.failure?.type === ROLE_REFUSED) {
        // The workflow refused what only Marketo could check (a workspace name, an existing role's rights):
        // bad input, nothing was made.
        const detail = result.failure.message.replace(/^.*?created: /, '');
        throw new InputError(detail.split('; '));
      }
      if (output.json) {
        output.result(result);
      } else {
        output.line(
          `${result.started ? 'Started' : 'Found'} the lifecycle of ${result.email}: ${result.phase}`,
        );
        output.line(`  role id:    ${result.roleId ?? '-'}`);
        output.line(`  user id:    ${result.userId ?? '-'}`);
        output.line(`  client id:  ${result.clientId ?? '-'}`);
        output.line(`  expires at: ${result.expiresAt}`);
        output.line(`  secret:     ${result.secretRef ?? '-'} (in the secret store; never printed)`);
        output.line(`  workflow:   ${result.workflowId}`);
        if (result.pendingOperatorAction) {
          output.line(`Operator action needed (${result.pendingOperatorAction.step}):`);
          for (const instruction of result.pendingOperatorAction.instructions)
            output.line(`  ${instruction}`);
        }
        if (result.failure) output.line(`Failed: ${result.failure.type}: ${result.failure.message}`);
      }
      return result.phase === 'failed' ? EXIT_FAILURE : EXIT_OK;
    } finally {
      output.done();
      await client.close();
    }
  },
};

type PolicyFlagName = 'rotate-every' | 'rotation-overlap' | 'remind' | 'attest-every' | 'attestation-window';

/** Only the policy flags given: the others keep the defaults, and an onboarding again compares only these. */
function policyFlags(values: Partial<Record<PolicyFlagName, string>>): Pick<OnboardInput, 'policy'> {
  const rotateEvery = values['rotate-every'];
  const overlap = values['rotation-overlap'];
  const remind = values.remind;
  const attestEvery = values['attest-every'];
  const window = values['attestation-window'];
  const policy = {
    ...(rotateEvery !== undefined ? { rotateEveryMs: rotateEvery } : {}),
    ...(overlap !== undefined ? { rotationOverlapMs: overlap } : {}),
    ...(remind !== undefined ? { reminderLeadsMs: remind.split(',').map((lead) => lead.trim()) } : {}),
    ...(attestEvery !== undefined ? { attestEveryMs: attestEvery } : {}),
    ...(window !== undefined ? { attestationWindowMs: window } : {}),
  };
  return Object.keys(policy).length ? { policy } : {};
}
