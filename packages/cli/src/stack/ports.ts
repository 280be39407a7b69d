import { createServer } from 'node:net';

/** Resolves `preferred` if it can be bound on 127.0.0.1, else a free port chosen by the OS. */
export function portOrFree(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : null));
      });
    });
  return tryListen(preferred).then(async (p) => p ?? (await tryListen(0)) ?? Promise.reject(new Error('no free port')));
}
