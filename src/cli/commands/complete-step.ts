import fs from 'node:fs';
import type { CompleteStepInput } from '../../client';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  step: { type: 'string' },
  'client-id': { type: 'string' },
  'role-id': { type: 'string' },
  'secret-file': { type: 'string' },
} as const;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export const completeStepCommand: Command = {
  help: `Usage: marketo-api-users complete-step EMAIL --step create-role [--json] [--data-dir DIR]
       marketo-api-users complete-step EMAIL --step confirm-role --role-id ID
       marketo-api-users complete-step EMAIL --step create-service --client-id ID [--secret-file FILE | < FILE]
       marketo-api-users complete-step EMAIL --step retire-service

On a real Marketo instance, roles and custom services are made by hand (status EMAIL says exactly what).
The workflow verifies before it goes on. confirm-role: a role of the requested name exists and roles.json
does not list its permissions; run it only after checking in Marketo that role ID has exactly the requested
permissions. The client secret is read from a file or stdin, never from an argument (arguments land in
shell history and process lists), and goes straight to the secret store. During a rotation, create-service
answers the second service and retire-service says the old one is deleted (the workflow proves it: the old
client id must be refused a token).

Examples:
  marketo-api-users complete-step crm-sync@example.com --step create-role
  marketo-api-users complete-step crm-sync@example.com --step confirm-role --role-id 1012
  marketo-api-users complete-step crm-sync@example.com --step create-service --client-id 3f1c... --secret-file ./secret.txt
  pbpaste | marketo-api-users complete-step crm-sync@example.com --step create-service --client-id 3f1c...
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const output = makeOutput(values.json === true);
    const email = requirePositional(positionals[0], 'email');
    let input: CompleteStepInput;
    if (values.step === 'create-role' || values.step === 'retire-service') {
      input = { step: values.step };
    } else if (values.step === 'confirm-role') {
      const roleId = values['role-id'];
      if (roleId === undefined || !/^\d{1,9}$/.test(roleId)) {
        throw new UsageError([
          'role-id: required for --step confirm-role: the role id the instructions name',
        ]);
      }
      input = { step: 'confirm-role', roleId: Number(roleId) };
    } else if (values.step === 'create-service') {
      if (!values['client-id']) throw new UsageError(['client-id: required for --step create-service']);
      let secret: string;
      if (values['secret-file'] && values['secret-file'] !== '-') {
        try {
          secret = fs.readFileSync(values['secret-file'], 'utf8');
        } catch (error) {
          throw new UsageError([
            `secret-file: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          ]);
        }
      } else if (!process.stdin.isTTY) {
        secret = await readAll(process.stdin);
      } else {
        throw new UsageError(['secret: give --secret-file FILE, or pipe the secret on stdin']);
      }
      input = { step: 'create-service', clientId: values['client-id'], clientSecret: secret.trim() };
    } else {
      throw new UsageError(['step: must be create-role, confirm-role, create-service or retire-service']);
    }
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.completeStep(email, input);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      output.progress('verifying');
      const outcome = await client.completeStep(email, input);
      output.done();
      if (output.json)
        output.result({
          verified: outcome.verified,
          problem: outcome.problem ?? null,
          status: outcome.status,
        });
      else if (outcome.verified)
        output.line(`Verified ${input.step}; the lifecycle is ${outcome.status.phase}.`);
      else
        output.line(
          `Not verified: ${outcome.problem ?? 'unknown reason'}. Fix it and run complete-step again.`,
        );
      return outcome.verified ? EXIT_OK : EXIT_FAILURE;
    } finally {
      output.done();
      await client.close();
    }
  },
};
