import type { FastifyRequest } from 'fastify';
import { ApiError } from '../plugins/errors.js';

export const DEFAULT_STREAM_LIMITS = { perActor: 10, total: 500 };

/**
 * Caps open server-sent event streams per actor (its key id, or its client address without one)
 * and per process. Every SSE route takes a slot before it opens its stream and gives it back when
 * the connection closes: `TOO_MANY_STREAMS` (429) past the actor's cap, `STREAMS_EXHAUSTED` (503)
 * past the process's.
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { perActor: number; total: number } = DEFAULT_STREAM_LIMITS) {}

  /** The actor a stream counts against. */
  static actorOf(req: FastifyRequest): string {
    return req.actor?.keyId ? `key:${req.actor.keyId}` : req.actor && req.authVia !== 'none' ? 'bootstrap' : `ip:${req.ip}`;
  }

  /** Takes a slot for `req` (throws the 429/503) and returns the function that gives it back (once). */
  acquire(req: FastifyRequest): () => void {
    const actor = StreamSlots.actorOf(req);
    const mine = this.open.get(actor) ?? 0;
    if (mine >= this.limits.perActor) throw new ApiError('TOO_MANY_STREAMS', `${mine} event streams are open for this caller (at most ${this.limits.perActor}); close one first`, undefined, { 'retry-after': '5' });
    if (this.total >= this.limits.total) throw new ApiError('STREAMS_EXHAUSTED', `this process serves ${this.total} event streams (at most ${this.limits.total}); retry later`, undefined, { 'retry-after': '5' });
    this.open.set(actor, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.open.get(actor) ?? 1) - 1;
      if (left > 0) this.open.set(actor, left);
      else this.open.delete(actor);
    };
  }

  get size(): number {
    return this.total;
  }
}
