import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A small HTTP server for one process's metrics (`/metrics`) and liveness (`/health`). Under PM2 each
 * instance listens on `basePort + NODE_APP_INSTANCE`, so Prometheus scrapes every process as its
 * own target and per-process series never mix.
 */
export async function startMetricsServer(registry: Registry, port: number, host: string, healthy: () => boolean = () => true): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    } else if (req.url === '/health') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The port for this process: base + PM2 instance number (0 outside PM2). */
export function instancePort(base: number): number {
  const instance = Number(process.env.NODE_APP_INSTANCE ?? 0);
  return base + (Number.isInteger(instance) ? instance : 0);
}
