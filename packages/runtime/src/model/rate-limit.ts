import type { RedisClient } from '@baton/platform';

/**
 * model-rate-take (1 key): a token bucket per provider + model, shared by every agent of the fleet.
 * KEYS[1]  the bucket hash (keys.modelRate): req, tok (available), at (ms of the last refill)
 * ARGV[1]  requests per window (0: no limit)   ARGV[2] tokens per window (0: no limit)
 * ARGV[3]  window ms                           ARGV[4] tokens to take (estimate, or a correction; may be negative)
 * ARGV[5]  requests to take (1 for a call, 0 for a correction)
 * ARGV[6]  1: take even if that overdraws (a correction after the call), 0: only if available
 * Returns  0 when taken, else the ms to wait before asking again (nothing is taken).
 * Redis' own clock (TIME) is used, so agents with skewed clocks share one bucket fairly.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm, win = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wantTok, wantReq, force = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local h = redis.call('HMGET', KEYS[1], 'req', 'tok', 'at')
local req = tonumber(h[1]) or rpm
local tok = tonumber(h[2]) or tpm
local el = math.max(0, now - (tonumber(h[3]) or now))
if rpm > 0 then req = math.min(rpm, req + el * rpm / win) end
if tpm > 0 then tok = math.min(tpm, tok + el * tpm / win) end
local wait = 0
if not force then
  if rpm > 0 and req < wantReq then wait = math.max(wait, math.ceil((wantReq - req) * win / rpm)) end
  local need = math.min(wantTok, tpm)
  if tpm > 0 and tok < need then wait = math.max(wait, math.ceil((need - tok) * win / tpm)) end
end
if wait == 0 then
  if rpm > 0 then req = req - wantReq end
  if tpm > 0 then tok = tok - wantTok end
end
redis.call('HSET', KEYS[1], 'req', tostring(req), 'tok', tostring(tok), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], win * 2)
return wait
`;

type WithTake = RedisClient & { batonModelRateTake(key: string, ...args: (string | number)[]): Promise<number> };

export interface RateLimits {
  rpm: number;
  tpm: number;
  windowMs: number;
}

/** The fleet-wide request/token limit of one provider + model. */
export class ModelRateLimiter {
  private readonly redis: WithTake;

  constructor(
    redis: RedisClient,
    private readonly key: string,
    private readonly limits: RateLimits,
  ) {
    if (!('batonModelRateTake' in redis)) redis.defineCommand('batonModelRateTake', { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as WithTake;
  }

  get enabled(): boolean {
    return this.limits.rpm > 0 || this.limits.tpm > 0;
  }

  /** Takes one request and `tokens` (an estimate), waiting while the bucket is empty; onWait reports each wait. */
  async acquire(tokens: number, signal: AbortSignal, onWait: (ms: number) => void): Promise<void> {
    if (!this.enabled) return;
    for (;;) {
      signal.throwIfAborted();
      const wait = await this.take(tokens, 1, false);
      if (wait === 0) return;
      onWait(wait);
      await sleep(Math.min(wait, this.limits.windowMs), signal);
    }
  }

  /** Corrects the bucket by what the call really used beyond (or below) its estimate. */
  async correct(tokens: number): Promise<void> {
    if (this.limits.tpm === 0 || tokens === 0) return;
    await this.take(tokens, 0, true);
  }

  private take(tokens: number, requests: number, force: boolean): Promise<number> {
    const { rpm, tpm, windowMs } = this.limits;
    return this.redis.batonModelRateTake(this.key, rpm, tpm, windowMs, Math.round(tokens), requests, force ? '1' : '0').then(Number);
  }
}

/** Resolves after ms, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
