import type { ApiErrorBody } from '@baton/contracts';
import { BatonApiError } from './errors.js';
import { abortable, sleep } from './timing.js';

export interface RetryOptions {
  /** Attempts in all, the first included (default 5; 1 turns retries off). */
  attempts?: number;
  /** The first back-off when the answer has no Retry-After (default 500 ms, doubling). */
  baseDelayMs?: number;
  /** The longest single wait, also for a larger Retry-After (default 30 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** e.g. `http://127.0.0.1:3000`. In a browser it defaults to the page's origin. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <key>`. Without it a browser uses its dashboard session cookie. */
  apiKey?: string;
  /** fetch `credentials` (default `same-origin`: the session cookie goes to the page's own origin only). */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** 503 answers (the state store away or full) are retried, honouring Retry-After. */
  retry?: RetryOptions;
  /** Per attempt of a JSON call (default 30 s; streams have none). */
  timeoutMs?: number;
  /** Another fetch (a proxy agent, a test double). Default: the global one. */
  fetch?: typeof fetch;
  /** Called with every error a call finally throws (the dashboard signs out on a 401 from here). */
  onError?: (e: BatonApiError) => void;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** An array value repeats the parameter (`label=a:1&label=b:2`). */
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Repeat on 503 (default true; false for calls that must not run twice). */
  retry?: boolean;
  /** Statuses that are answers, not errors (GET /ready's 503). */
  accept?: number[];
  /** A stream: no timeout, the body is left to the caller. */
  stream?: boolean;
}

const causeOf = (e: unknown) => (e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e));

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (v === null) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The API's error envelope, or a plain description when the answer is not one. */
async function toError(res: Response): Promise<BatonApiError> {
  const text = await res.text().catch(() => '');
  let body: ApiErrorBody | undefined;
  try {
    body = text ? (JSON.parse(text) as ApiErrorBody) : undefined;
  } catch {
    body = undefined;
  }
  const err = body?.error;
  if (!err || typeof err.code !== 'string') return new BatonApiError(res.status, 'BAD_RESPONSE', `HTTP ${res.status}: ${text.slice(0, 200) || res.statusText}`, [], undefined, retryAfterMs(res));
  return new BatonApiError(res.status, err.code as BatonApiError['code'], err.message, err.issues ?? [], body?.requestId, retryAfterMs(res));
}

/** fetch with the base URL, credentials, JSON, typed errors, and bounded 503 retries. */
export class Transport {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: TransportOptions) {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const base = opts.baseUrl ?? origin;
    if (!base) throw new TypeError('BatonClient needs a baseUrl outside a browser (e.g. http://127.0.0.1:3000)');
    this.baseUrl = base.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query: Call['query'] = {}): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (Array.isArray(v)) for (const item of v as readonly string[]) q.append(k, item);
      else if (v !== undefined) q.set(k, String(v));
    }
    const s = q.toString();
    return `${this.baseUrl}${path}${s ? `?${s}` : ''}`;
  }

  /** One call, retried on 503 as configured; resolves with an OK (or accepted) response. */
  async send(call: Call): Promise<Response> {
    const attempts = call.retry === false ? 1 : Math.max(1, this.opts.retry?.attempts ?? 5);
    const base = this.opts.retry?.baseDelayMs ?? 500;
    const max = this.opts.retry?.maxDelayMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(call);
      } catch (e: unknown) {
        const retry = e instanceof BatonApiError && e.status === 503 && attempt < attempts && !call.signal?.aborted;
        if (!retry) {
          if (e instanceof BatonApiError) this.opts.onError?.(e);
          throw e;
        }
        await sleep(Math.min(max, e.retryAfterMs ?? base * 2 ** (attempt - 1)), call.signal);
      }
    }
  }

  private async once(call: Call): Promise<Response> {
    const headers: Record<string, string> = { accept: call.stream ? 'text/event-stream' : 'application/json', ...this.opts.headers, ...call.headers };
    if (this.opts.apiKey && !('authorization' in headers)) headers.authorization = `Bearer ${this.opts.apiKey}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = call.stream ? undefined : (this.opts.timeoutMs ?? 30_000);
    // A stream stays bound to the caller's signal for as long as its body is read.
    const { signal, done, timedOut } = call.stream ? { signal: call.signal, done: () => undefined, timedOut: () => false } : abortable(call.signal, timeoutMs);
    let res: Response;
    try {
      res = await this.fetchFn(this.url(call.path, call.query), {
        method: call.method,
        headers,
        credentials: this.opts.credentials ?? 'same-origin',
        ...(signal ? { signal } : {}),
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      });
    } catch (e: unknown) {
      done();
      if (call.signal?.aborted) throw call.signal.reason ?? e;
      if (timedOut()) throw new BatonApiError(0, 'TIMEOUT', `no answer from ${this.baseUrl} within ${timeoutMs} ms`);
      throw new BatonApiError(0, 'UNREACHABLE', `cannot reach the orchestrator at ${this.baseUrl}: ${causeOf(e)}`);
    }
    if (!call.stream) res = await this.buffered(res, done);
    if (res.ok || call.accept?.includes(res.status)) return res;
    throw await toError(res);
  }

  /** Reads a JSON answer within the timeout, then hands back a response over the read bytes. */
  private async buffered(res: Response, done: () => void): Promise<Response> {
    try {
      const bytes = await res.arrayBuffer();
      return new Response(res.status === 204 || res.status === 304 ? null : bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (e: unknown) {
      throw new BatonApiError(0, 'UNREACHABLE', `the answer from ${this.baseUrl} broke off: ${causeOf(e)}`);
    } finally {
      done();
    }
  }

  /** A JSON call: the parsed body (undefined for 204). */
  async json<T>(call: Call): Promise<T> {
    const res = await this.send(call);
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      const e = new BatonApiError(res.status, 'BAD_RESPONSE', `the answer to ${call.method} ${call.path} is not JSON`);
      this.opts.onError?.(e);
      throw e;
    }
  }
}
