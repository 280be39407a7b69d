/** One dispatched server-sent event (WHATWG HTML, "Interpreting an event stream"). */
export interface SseMessage {
  /** The event type (`message` when the server named none). */
  event: string;
  data: string;
  /** The last event id seen on this stream so far (ids carry over to later events). */
  id: string | undefined;
  /** A reconnection delay the server asked for, in ms. */
  retry?: number;
}

/**
 * An incremental text/event-stream parser: feed it decoded text in chunks of any size; it
 * returns the events completed by each chunk. Lines end in CRLF, LF or CR (a CR at the end of
 * one chunk and an LF at the start of the next are one line end); `:` lines are comments.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId: string | undefined;
  private retry: number | undefined;
  private started = false;
  private pendingCr = false;

  constructor(lastEventId?: string) {
    this.lastId = lastEventId;
  }

  feed(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') return this.dispatch(out);
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  private dispatch(out: SseMessage[]): void {
    const retry = this.retry;
    this.retry = undefined;
    if (this.data.length === 0) {
      this.event = '';
      if (retry !== undefined) out.push({ event: '', data: '', id: this.lastId, retry });
      return;
    }
    out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId, ...(retry !== undefined ? { retry } : {}) });
    this.data = [];
    this.event = '';
  }
}

/** The events of a fetch response body, as they arrive. Stops (and releases the body) when the consumer stops. */
export async function* readSse(body: ReadableStream<Uint8Array>, lastEventId?: string): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(lastEventId);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
