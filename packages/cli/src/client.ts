import type { ApiErrorBody, RunEvent } from '@baton/contracts';
import { createParser } from 'eventsource-parser';

/** An API call that failed, with the server's error code when it sent one. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ApiErrorBody['error']['issues'] = [],
  ) {
    super(message);
  }
}

/** Thin client for the orchestrator API. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: this.headers(body === undefined ? headers : { 'content-type': 'application/json', ...headers }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e: unknown) {
      throw new ApiCallError(0, 'UNREACHABLE', `cannot reach the orchestrator at ${this.baseUrl}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const err = (parsed as ApiErrorBody | undefined)?.error;
      throw new ApiCallError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? text, err?.issues);
    }
    return parsed as T;
  }

  /** Streams a run's events (after `lastEventId`, if given) until the server ends the stream: the run finished. */
  async followEvents(runId: string, onEvent: (e: RunEvent, id: string) => void, lastEventId?: string): Promise<void> {
    const res = await fetch(new URL(`/v1/runs/${runId}/events`, this.baseUrl), { headers: this.headers(lastEventId ? { 'last-event-id': lastEventId } : {}) });
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => undefined)) as ApiErrorBody | undefined;
      throw new ApiCallError(res.status, body?.error.code ?? `HTTP_${res.status}`, body?.error.message ?? 'cannot follow the run');
    }
    const parser = createParser({
      onEvent: (msg) => {
        if (msg.data) onEvent(JSON.parse(msg.data) as RunEvent, msg.id ?? '');
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
  }
}
