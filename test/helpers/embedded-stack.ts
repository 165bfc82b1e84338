/**
 * For a describe block that drives the product as `up` runs it: an in-process embedded stack in a temp data
 * folder and a client API connected to it, started before the block's tests and stopped after them.
 */
import { after, before } from 'node:test';
import { LifecycleClient } from '../../src';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/app/embedded';
import { cliEnv, freePorts, killAll, removeDir, tempDir } from '../cli/support';

export interface EmbeddedStackBlock {
  stack: EmbeddedStack;
  dataDir: string;
  client: LifecycleClient;
}

export function withEmbeddedStack(prefix: string, ready: (block: EmbeddedStackBlock) => void): void {
  const block: Partial<EmbeddedStackBlock> = {};
  before(async () => {
    const [temporalPort, uiPort, sandboxPort] = await freePorts(3);
    block.dataDir = tempDir(prefix);
    const env = cliEnv();
    block.stack = await startEmbeddedStack({
      dataDir: block.dataDir,
      temporalPort,
      uiPort,
      sandboxPort,
      env,
    });
    block.client = await LifecycleClient.connect({ dataDir: block.dataDir, env });
    ready(block as EmbeddedStackBlock);
  });
  after(async () => {
    await block.client?.close();
    await killAll();
    await block.stack?.stop();
    removeDir(block.dataDir);
  });
}
