/**
 * Last use, tried as a new user would on `up`: onboard, take the credentials, make calls with them; the
 * sandbox's Usage API shows them, `collect-usage` records them, and `status` and `list` show `lastUsedAt`.
 * `up` made the daily schedule itself (deleting it finds one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { marketoDayOf } from '../../src/domain/usage';
import { createMarketoClient } from '../../src/marketo';
import {
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  oneJson,
  removeDir,
  runCli,
  startUp,
  statusJsonSchema,
  tempDir,
  type UpProcess,
} from '../cli/support';

const credentialsSchema = z
  .object({ clientId: z.string().min(1), clientSecret: z.string().min(1) })
  .passthrough();
const collectedSchema = z
  .object({ collectedDay: z.string(), calls: z.number(), users: z.number() })
  .passthrough();

describe('last use on `up`', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const email = `usage-${Date.now().toString(36)}@example.com`;
  const cli = (...args: string[]) => runCli(args, { env });

  before(async () => {
    const ports = await freePorts(3);
    dataDir = tempDir('up-usage');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it('calls with a lifecycle credential reach status and list through the usage collector', async () => {
    const onboard = await cli(
      ...[
        'onboard',
        '--email',
        email,
        '--first-name',
        'Use',
        '--last-name',
        'Age',
        '--role',
        `Usage ${email}`,
      ],
      ...['--permissions', 'Read-Only Lead', '--expires-in', '30d', '--json'],
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    const handed = await cli('credentials', email, '--json');
    assert.equal(handed.code, 0, describeRun(handed));
    const { clientId, clientSecret } = credentialsSchema.parse(oneJson(handed));
    const app = createMarketoClient({
      baseUrl: up!.info.sandboxUrl!,
      clientId,
      clientSecret,
      budget: 'unlimited',
    });
    const [today] = await app.usage.dailyUsage();
    assert.equal(
      today?.users.find((user) => user.userId === email)?.count,
      1,
      'the Usage API shows the read',
    );

    const collected = await cli('collect-usage', '--json');
    assert.equal(collected.code, 0, describeRun(collected));
    assert.equal(collectedSchema.parse(oneJson(collected)).collectedDay, marketoDayOf(Date.now()));

    const status = statusJsonSchema.parse(oneJson(await cli('status', email, '--json')));
    assert.equal(status.lastUsedAt, marketoDayOf(Date.now()));
    assert.equal(status.idleDays, 0);
    const human = await cli('status', email);
    assert.match(human.stdout, /^last used: +\d{4}-\d{2}-\d{2} \(0 days idle\)$/m);
    const list = await cli('list');
    assert.match(
      list.stdout,
      new RegExp(`^${email.replace(/\./g, '\\.')} .* \\d{4}-\\d{2}-\\d{2} \\(0d idle\\)$`, 'm'),
    );

    const deleted = await cli('schedule-usage', '--delete', '--json');
    assert.deepEqual(oneJson(deleted), { deleted: true }, 'up created the daily schedule');
  });
});
