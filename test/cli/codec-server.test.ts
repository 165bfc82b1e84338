/**
 * `marketo-api-users codec-server` as a person runs it beside a real cluster's Web UI: it needs an origin, keeps
 * a non-loopback listener behind a token, decodes with the workers' keys (an old key id included) for the
 * configured origin and refuses any other.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import { toJson } from '../../src/codec-server/protocol';
import { parsePayloadKeyList, PAYLOAD_KEY_ENV } from '../../src/security/keyring';
import { EncryptionCodec } from '../../src/security/payload-codec';
import {
  cliEnv,
  describeRun,
  errorJsonSchema,
  oneJson,
  REPO_ROOT,
  removeDir,
  runCli,
  sleep,
  tempDir,
} from './support';

const UI = 'https://temporal-ui.example.com';
const oldEntry = `k-old:${randomBytes(32).toString('base64')}`;
const keyList = `k-new:${randomBytes(32).toString('base64')},${oldEntry}`;
const startedSchema = z
  .object({ codecEndpoint: z.string(), origins: z.array(z.string()), tokenRequired: z.boolean() })
  .strict();

describe('codec-server command', () => {
  const dataDir = tempDir('codec');
  const running: ChildProcess[] = [];
  after(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    removeDir(dataDir);
  });

  const refused = async (args: string[], problem: RegExp, env = cliEnv()) => {
    const run = await runCli(['codec-server', ...args, '--json'], { env });
    assert.equal(run.code, 2, describeRun(run));
    const error = errorJsonSchema.parse(oneJson(run));
    assert.match([error.error, ...(error.problems ?? []), error.hint ?? ''].join('\n'), problem);
  };

  it('is bad input without an origin, or beyond loopback without a token', async () => {
    await refused(['--data-dir', dataDir], /origin: give at least one/);
    await refused(
      ['--origin', 'ftp://x', '--data-dir', dataDir],
      /origin(\.0)?: must be an http or https URL/,
    );
    await refused(
      ['--origin', UI, '--host', '0.0.0.0'],
      /--host: listening beyond loopback needs --token-file/,
    );
  });

  it('will not make up a key, nor take a token file others can read', async () => {
    await refused(['--origin', UI, '--data-dir', dataDir], /no key file at .*keys\.json/);
    assert.equal(fs.existsSync(path.join(dataDir, 'keys.json')), false);
    const tokenFile = path.join(dataDir, 'token');
    fs.writeFileSync(tokenFile, `${'t'.repeat(32)}\n`, { mode: 0o644 });
    fs.chmodSync(tokenFile, 0o644);
    const env = cliEnv({ [PAYLOAD_KEY_ENV]: keyList });
    await refused(['--origin', UI, '--token-file', tokenFile], /can be read by others [^]*chmod 600/, env);
  });

  it("decodes with the workers' keys for the configured origin and refuses another", async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'codec-server',
        '--origin',
        `${UI}/ui/`,
        '--port',
        '0',
        '--decode-only',
        '--json',
      ],
      { cwd: REPO_ROOT, env: cliEnv({ [PAYLOAD_KEY_ENV]: keyList }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.push(child);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    for (let waited = 0; !stdout.includes('\n'); waited += 100) {
      assert.ok(waited < 30_000 && child.exitCode === null, `codec-server did not start: ${stdout}`);
      await sleep(100);
    }
    const started = startedSchema.parse(JSON.parse(stdout.trim()));
    assert.deepEqual(started.origins, [UI]);
    assert.match(started.codecEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);

    const oldKeyOnly = new EncryptionCodec(parsePayloadKeyList(oldEntry));
    const [encoded] = await oldKeyOnly.encode([defaultPayloadConverter.toPayload('crm@example.com')]);
    const decode = (origin: string) =>
      fetch(`${started.codecEndpoint}/decode`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [toJson(encoded!)] }),
      });
    const ok = await decode(UI);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { payloads: { data: string }[] };
    assert.equal(Buffer.from(body.payloads[0]!.data, 'base64').toString(), '"crm@example.com"');
    const encode = await fetch(`${started.codecEndpoint}/encode`, {
      method: 'POST',
      headers: { origin: UI, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(encode.status, 403, '--decode-only refuses /encode');
    const other = await decode('https://elsewhere.example.com');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
