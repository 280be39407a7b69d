import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EngineContext } from './context.js';
import { callScript } from './store/scripts.js';

/** A pass held on past its lease: another instance may be acting now, so this one stops. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
  readonly code = 'LEASE_LOST';
  constructor(readonly lease: string) {
    super(`the ${lease} lease expired during the pass; stopping before acting`);
  }
}

/**
 * Cross-instance lease so one orchestrator at a time runs the (heavier) full reconcile pass.
 * Taking and renewing it is one script (lua/renew-lease.lua). Its validity is kept on this
 * process's monotonic clock from the moment the renewal was sent, which is never later than Redis
 * starts the key's time to live: while `held()`, no other instance can have it. A pass calls
 * `ensure()` before each action; it renews the lease as it goes and throws LeaseLost once the lease
 * may have passed on (the process stalled, Redis was slow), so a pass that outlives its lease stops.
 */
export class Lease {
  private readonly token = randomUUID();
  private confirmedAt = -Infinity;

  constructor(
    private readonly ctx: EngineContext,
    private readonly name: string,
    private readonly ttlMs: number,
    /** Monotonic milliseconds (tests may drive it). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Takes or renews the lease. */
  async acquire(): Promise<boolean> {
    const sent = this.clock();
    const got = (await callScript(this.ctx.redis, 'batonRenewLease', [this.ctx.keys.lease(this.name)], [this.token, this.ttlMs])) === 1;
    this.confirmedAt = got ? sent : -Infinity;
    return got;
  }

  /** Whether this instance certainly still holds the lease. */
  held(): boolean {
    return this.clock() < this.confirmedAt + this.ttlMs;
  }

  /** Before acting: throws LeaseLost unless the lease is held; renews it once a third of it is spent. */
  async ensure(): Promise<void> {
    if (!this.held()) throw new LeaseLost(this.name);
    if (this.clock() - this.confirmedAt < this.ttlMs / 3) return;
    if (!(await this.acquire())) throw new LeaseLost(this.name);
  }
}

/** Checked by a pass before each action (throws to stop it); the default runs unguarded (tests, tools). */
export type PassGuard = () => Promise<void>;
export const unguarded: PassGuard = () => Promise.resolve();
