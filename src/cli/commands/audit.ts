import type { AuditEvent, AuditQueryInput } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  email: { type: 'string' },
  since: { type: 'string' },
  kind: { type: 'string', multiple: true },
  limit: { type: 'string' },
} as const;

/** What an event says beyond its kind: the reason, then each detail as key=value (never a secret). */
function what(event: AuditEvent): string {
  const details = Object.entries(event.detail)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${String(value)}`);
  return [event.reason ? `"${event.reason}"` : '', ...details].filter(Boolean).join(' ');
}

/** The audit log as a table for people; `demo` prints its sample's with it. */
export function auditTable(events: AuditEvent[]): string[] {
  const width = (pick: (e: AuditEvent) => string, title: string) =>
    Math.max(title.length, ...events.map((e) => pick(e).length));
  const kindW = width((e) => e.kind, 'KIND');
  const emailW = width((e) => e.email ?? '-', 'EMAIL');
  const actorW = width((e) => e.actor, 'ACTOR');
  const row = (at: string, kind: string, email: string, actor: string, rest: string) =>
    `${at.padEnd(24)}  ${kind.padEnd(kindW)}  ${email.padEnd(emailW)}  ${actor.padEnd(actorW)}  ${rest}`.trimEnd();
  return [
    row('AT', 'KIND', 'EMAIL', 'ACTOR', 'WHAT'),
    ...events.map((e) => row(e.at, e.kind, e.email ?? '-', e.actor, what(e))),
  ];
}

function inputFrom(values: {
  email?: string | undefined;
  since?: string | undefined;
  kind?: string[] | undefined;
  limit?: string | undefined;
}): AuditQueryInput {
  const kinds = values.kind?.flatMap((k) => k.split(',').map((part) => part.trim()));
  if (values.limit !== undefined && !/^\d+$/.test(values.limit)) {
    throw new UsageError(['limit: must be a whole number']);
  }
  return {
    ...(values.email !== undefined ? { email: values.email } : {}),
    ...(values.since !== undefined ? { since: values.since } : {}),
    ...(kinds ? { kinds: kinds as AuditQueryInput['kinds'] } : {}),
    ...(values.limit !== undefined ? { limit: Number(values.limit) } : {}),
  };
}

export const auditCommand: Command = {
  help: `Usage: marketo-api-users audit [--email E] [--since ISO|7d] [--kind K]... [--limit N] [--json]
         [--data-dir DIR]

The audit log, oldest first: onboarded, operator-step-done, extended, reassigned, revoked, expired,
provisioning-failed, drift-corrected, sweep-action, credentials-read, rotated, rotation-retired,
rotation-abandoned, attestation-requested, attested and attestation-missed, each with its time, actor and
reason. Never a secret.
A table for people; --json prints one JSON object a line (JSON Lines), for a SIEM. --kind may be repeated or
a comma list; --since takes a date or a duration back from now.

Examples:
  marketo-api-users audit --email crm-sync@example.com
  marketo-api-users audit --since 7d --kind revoked,credentials-read --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const input = inputFrom(values);
    const events = await clientApi().audit(input, { dataDir: values['data-dir'] });
    if (output.json) {
      for (const event of events) output.result(event);
      return EXIT_OK;
    }
    if (events.length === 0) output.line('No audit events match.');
    else for (const line of auditTable(events)) output.line(line);
    return EXIT_OK;
  },
};
