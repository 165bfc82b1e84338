import net from 'node:net';

/** Whether something accepts TCP connections on 127.0.0.1:`port` (a server up, or the port taken). */
export async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Ports this process handed out lately. The kernel may offer a port it just released again, and the server
 * meant for the first one may not have bound it yet: two servers on one port then fail to start. Bounded, so a
 * long-running process cannot run out of ports.
 */
const handedOut = new Set<number>();
const REMEMBERED_PORTS = 2_000;

function listenOnAnyPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * `count` distinct ports on 127.0.0.1 that were free a moment ago and not handed out lately, released at once
 * for the caller. Every port tried is held until the end, so the kernel offers a new one each time.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listenOnAnyPort();
      held.push(server);
      const { port } = server.address() as net.AddressInfo;
      if (!handedOut.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
  for (const port of ports) {
    handedOut.add(port);
    if (handedOut.size > REMEMBERED_PORTS) handedOut.delete(handedOut.values().next().value ?? port);
  }
  return ports;
}

/** One port as `freePorts` picks them. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('freePorts(1) returned no port');
  return port;
}
