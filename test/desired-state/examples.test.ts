/** The examples a new user copies: the file parses, and the CI job plans on pull requests and applies on merge. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { readDesiredState } from '../../src/desired-state/parse-file';
import { REPO_ROOT } from '../cli/support';

const DIR = path.join(REPO_ROOT, 'examples', 'desired-state');

const jobSchema = z.object({
  if: z.string(),
  steps: z.array(z.object({ run: z.string().optional() }).loose()),
});
const workflowSchema = z.object({ jobs: z.object({ plan: jobSchema, apply: jobSchema }) });

describe('examples/desired-state', () => {
  it('users.yaml is a valid desired-state file', () => {
    const { file } = readDesiredState(path.join(DIR, 'users.yaml'));
    assert.equal(file.users.length, 2);
    assert.ok(file.protected.length > 0);
  });

  it('the CI job plans on pull requests (exit 4 is no failure) and applies on merge', () => {
    const workflow = workflowSchema.parse(
      parse(fs.readFileSync(path.join(DIR, 'github-actions.yml'), 'utf8')),
    );
    const runs = (job: z.infer<typeof jobSchema>) => job.steps.map((s) => s.run ?? '').join('\n');
    assert.match(workflow.jobs.plan.if, /pull_request/);
    assert.match(runs(workflow.jobs.plan), /marketo-api-users plan -f marketo\/users.yaml/);
    assert.match(runs(workflow.jobs.plan), /"\$code" -eq 4/);
    assert.match(workflow.jobs.apply.if, /push/);
    assert.match(runs(workflow.jobs.apply), /marketo-api-users apply -f marketo\/users.yaml/);
  });
});
