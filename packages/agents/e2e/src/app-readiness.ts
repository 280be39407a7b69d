import { setTimeout as sleep } from 'node:timers/promises';
import { listeningSockets, type ManagedProcess } from '@baton/agent-kit';

/** How the app was found ready: where, and how its port was learnt. */
export interface Readiness {
  ok: boolean;
  /** `http://127.0.0.1:<port>` once ready. */
  base: string | null;
  port: number | null;
  /** `start.port`, `PORT`, `listening socket` or `printed`. */
  portSource: string | null;
  status: number | null;
  elapsedMs: number;
  reason?: string;
}

export interface ReadinessOptions {
  /** The free port given to the app in PORT. */
  assignedPort: number;
  /** `start.port`: the app's own fixed port, when it ignores PORT. */
  configuredPort: number | null;
  /** Must answer 2xx; null: `GET /` answering anything below 500 means ready. */
  readyPath: string | null;
  timeoutMs: number;
  signal: AbortSignal;
  intervalMs?: number;
}

interface Candidate {
  host: string;
  port: number;
  source: string;
}

/** Ports the app announced: `http://localhost:5173`, `listening on port 8080`, `port: 3001`. */
export function printedPorts(output: string): number[] {
  const ports: number[] = [];
  for (const m of output.matchAll(/\bhttps?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|[\w.-]+):(\d{2,5})\b/g)) ports.push(Number(m[1]));
  for (const m of output.matchAll(/\b(?:port|listening on|listening at|running on|running at|started on|serving on)\s*:?\s*(\d{2,5})\b/gi)) ports.push(Number(m[1]));
  return [...new Set(ports.filter((p) => p > 0 && p < 65_536))];
}

/** The ports to try, best first: start.port; else PORT (when the app listens on it), then the ports it printed, then its other listening sockets. */
function candidates(app: ManagedProcess, o: ReadinessOptions): Candidate[] {
  if (o.configuredPort) return [{ host: '127.0.0.1', port: o.configuredPort, source: 'start.port' }];
  const sockets = listeningSockets(app.pid);
  const printed = printedPorts(app.output());
  const out: Candidate[] = [];
  const add = (c: Candidate) => {
    if (!out.some((x) => x.port === c.port)) out.push(c);
  };
  const own = sockets.find((s) => s.port === o.assignedPort);
  // Without /proc nothing is known about sockets: PORT and printed ports are all there is to try.
  if (own || sockets.length === 0) add({ host: own?.host ?? '127.0.0.1', port: o.assignedPort, source: 'PORT' });
  for (const p of printed) {
    const s = sockets.find((x) => x.port === p);
    if (s || sockets.length === 0) add({ host: s?.host ?? '127.0.0.1', port: p, source: 'printed' });
  }
  for (const s of sockets) add({ host: s.host, port: s.port, source: 'listening socket' });
  return out;
}

async function probe(url: string, signal: AbortSignal): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch (e: unknown) {
    return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  }
}

const exitText = (e: { code: number | null; signal: string | null }) => (e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`);

/**
 * Waits until the app answers: on its configured port, the PORT it was given, or a port its process
 * tree listens on (from its sockets) or printed — whichever answers first. Ready means 2xx on
 * `readyPath`, or, without one, any answer below 500 on `/`. Stops early when the app exits.
 */
export async function waitUntilReady(app: ManagedProcess, o: ReadinessOptions): Promise<Readiness> {
  const started = Date.now();
  let last = 'nothing listened yet';
  let status: number | null = null;
  const done = (r: Omit<Readiness, 'elapsedMs' | 'status'>): Readiness => ({ ...r, status, elapsedMs: Date.now() - started });
  const path = o.readyPath ?? '/';
  for (;;) {
    if (o.signal.aborted) return done({ ok: false, base: null, port: null, portSource: null, reason: 'aborted' });
    if (app.exit) return done({ ok: false, base: null, port: null, portSource: null, reason: `the app exited (${exitText(app.exit)}) before it answered on ${path}` });
    for (const c of candidates(app, o)) {
      const base = `http://${c.host}:${c.port}`;
      const r = await probe(`${base}${path}`, o.signal);
      if (typeof r === 'number') {
        status = r;
        const ready = o.readyPath ? r >= 200 && r < 300 : r < 500;
        if (ready) return done({ ok: true, base, port: c.port, portSource: c.source });
        last = `${base}${path} answered ${r}`;
      } else last = `${base}${path}: ${r}`;
    }
    if (Date.now() - started >= o.timeoutMs) {
      const want = o.readyPath ? `2xx on ${o.readyPath}` : 'below 500 on /';
      return done({ ok: false, base: null, port: null, portSource: null, reason: `the app did not answer ${want} within ${o.timeoutMs} ms (PORT=${o.assignedPort}; last: ${last})` });
    }
    try {
      await sleep(o.intervalMs ?? 250, undefined, { signal: o.signal });
    } catch {
      return done({ ok: false, base: null, port: null, portSource: null, reason: 'aborted' });
    }
  }
}
