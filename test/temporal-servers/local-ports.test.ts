/**
 * Picking ports for the servers the product starts itself (the demo's Temporal dev server, its UI, the
 * sandbox): the kernel may offer a port it just released again, so picking them one at a time could give
 * two servers the same port and fail the start on a busy machine.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { freePort, freePorts } from '../../src/temporal-servers/local-ports';

describe('freePort', () => {
  it('never hands out the same port twice in one process, even when asked one at a time', async () => {
    const seen = new Map<number, number>();
    for (let draw = 0; draw < 1_000; draw++) {
      const port = await freePort();
      assert.ok(!seen.has(port), `port ${port} handed out at draws ${seen.get(port)} and ${draw}`);
      seen.set(port, draw);
    }
  });

  it('hands out distinct ports, not handed out before, that can be bound at once', async () => {
    const earlier = await freePort();
    const ports = await freePorts(3);
    assert.equal(new Set([earlier, ...ports]).size, 4, `${earlier} then ${ports.join(', ')}`);
    const servers = ports.map(() => net.createServer());
    await Promise.all(
      servers.map(
        (server, i) =>
          new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(ports[i], '127.0.0.1', resolve);
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });
});
