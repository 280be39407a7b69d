import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy to a Redis on 127.0.0.1 that can make chosen connections go silent — bytes are
 * swallowed in both directions, nothing is closed — like a half-open connection after a failover or
 * a network fault. Connections made afterwards pass through normally.
 */
export interface StallingProxy {
  readonly port: number;
  readonly url: string;
  /**
   * Silences every open connection whose traffic so far (lower-cased RESP: command names, client
   * names, keys) satisfies `pick`; returns how many.
   */
  stall(pick: (sent: string) => boolean): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** The first bytes (the handshake: CLIENT SETNAME) and the latest ones. */
  head: string;
  sent: string;
  stalled: boolean;
}

export async function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const pairs = new Set<Pair>();
  const srv = createServer((client) => {
    const server = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { client, server, head: '', sent: '', stalled: false };
    pairs.add(pair);
    client.on('data', (b: Buffer) => {
      if (pair.stalled) return;
      // Remember the handshake and the command names seen lately (bounded), to pick connections by
      // name and by what they do.
      const text = b.toString('latin1').toLowerCase();
      if (pair.head.length < 4096) pair.head = (pair.head + text).slice(0, 4096);
      pair.sent = (pair.sent + text).slice(-65536);
      server.write(b);
    });
    server.on('data', (b: Buffer) => {
      if (!pair.stalled) client.write(b);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  });
  const port = await new Promise<number>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      if (typeof a === 'object' && a) resolve(a.port);
      else reject(new Error('no port'));
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stall(pick) {
      let n = 0;
      for (const p of pairs) {
        if (!p.stalled && pick(`${p.head}\n${p.sent}`)) {
          p.stalled = true;
          n++;
        }
      }
      return n;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      await new Promise((r) => srv.close(r));
    },
  };
}
