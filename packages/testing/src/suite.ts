import type { EngineConfig } from '@baton/engine';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Harness } from './harness.js';
import { startRedis, type RedisOptions, type TestRedis } from './redis-server.js';

export interface TestStack<R extends TestRedis = TestRedis> {
  /** The file's Redis (started before the first test). */
  readonly redis: R;
  /** A fresh orchestrator in a fresh namespace; closed after the test. */
  harness(engine?: Partial<EngineConfig> & { agentDeafAfterMs?: number }, extra?: Parameters<typeof Harness.start>[2]): Promise<Harness>;
  /** Registers something to close after the current test. */
  defer(fn: () => Promise<unknown>): void;
}

/**
 * Per test file: one throwaway Redis (or, with `start`, e.g. `startRedisCluster`, another topology);
 * per test: harnesses and whatever else is deferred, closed afterwards.
 */
export function useTestStack<R extends TestRedis = TestRedis>(opts: RedisOptions & { start?: () => Promise<R> } = {}): TestStack<R> {
  let redis: R | null = null;
  let cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    redis = opts.start ? await opts.start() : ((await startRedis(opts)) as R);
  }, 60_000);
  afterEach(async () => {
    const fns = cleanups.reverse();
    cleanups = [];
    for (const fn of fns) await fn();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const stack: TestStack<R> = {
    get redis() {
      if (!redis) throw new Error('the test Redis is not started yet (use it inside a test or hook)');
      return redis;
    },
    async harness(engine = {}, extra = {}) {
      const h = await Harness.start(stack.redis, engine, extra);
      cleanups.push(() => h.close());
      return h;
    },
    defer(fn) {
      cleanups.push(fn);
    },
  };
  return stack;
}
