/**
 * Builds the write-operation lists the run scripts apply (see lua/apply-ops.include.lua).
 * Keys are collected into a KEYS array and referenced by 1-based index.
 */
export type Op = ['zadd', number, number, string] | ['zrem', number, string] | ['xadd', number, number, string] | ['hincrby', number, string, number] | ['hincrbyfloat', number, string, number] | ['del', number]
  | ['pexpireat', number, number]
  | ['hset', number, string, string]
  | ['take', number, number, number, string, number]
  | ['release', number, number, string];

export class OpList {
  readonly keys: string[];
  readonly ops: Op[] = [];
  private readonly index = new Map<string, number>();

  /** `fixedKeys` come first in KEYS (e.g. the run hash), in order. */
  constructor(fixedKeys: string[]) {
    this.keys = [...fixedKeys];
    fixedKeys.forEach((k, i) => this.index.set(k, i + 1));
  }

  /** The 1-based index of `key` in KEYS (added if new), for script arguments that name keys. */
  key(key: string): number {
    return this.k(key);
  }

  /** The 1-based index of `key` in KEYS (added if new). */
  k(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length;
      this.index.set(key, i);
    }
    return i;
  }

  zadd(key: string, score: number, member: string): this {
    this.ops.push(['zadd', this.k(key), score, member]);
    return this;
  }
  zrem(key: string, member: string): this {
    this.ops.push(['zrem', this.k(key), member]);
    return this;
  }
  xadd(key: string, maxLen: number, json: string): this {
    this.ops.push(['xadd', this.k(key), maxLen, json]);
    return this;
  }
  hincrby(key: string, field: string, n: number): this {
    if (n !== 0) this.ops.push(['hincrby', this.k(key), field, n]);
    return this;
  }
  hincrbyfloat(key: string, field: string, x: number): this {
    if (x !== 0) this.ops.push(['hincrbyfloat', this.k(key), field, x]);
    return this;
  }
  /** Expires `key` at an absolute time (ms): idempotent, so every commit may repeat it. */
  pexpireat(key: string, atMs: number): this {
    this.ops.push(['pexpireat', this.k(key), atMs]);
    return this;
  }
  hset(key: string, field: string, value: string): this {
    this.ops.push(['hset', this.k(key), field, value]);
    return this;
  }
  del(key: string): this {
    this.ops.push(['del', this.k(key)]);
    return this;
  }
  /** Takes a concurrency slot; the whole commit is refused when the key already has `limit` holders. */
  take(holders: string, waiters: string, limit: number, member: string, score: number): this {
    this.ops.push(['take', this.k(holders), this.k(waiters), limit, member, score]);
    return this;
  }
  release(holders: string, waiters: string, member: string): this {
    this.ops.push(['release', this.k(holders), this.k(waiters), member]);
    return this;
  }
  json(): string {
    return JSON.stringify(this.ops);
  }

  /** The operations added since `ops.length` was `start`, as JSON (one run's share of a group's list). */
  jsonFrom(start: number): string {
    return JSON.stringify(this.ops.slice(start));
  }
}
