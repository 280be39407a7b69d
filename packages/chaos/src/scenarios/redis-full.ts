import { Redis } from 'ioredis';
import type { ChaosStack } from '../stack.js';
import { settleAndAudit } from '../audit.js';
import { waitAgentsConsuming } from '../consuming.js';
import { chain } from '../pipelines.js';
import type { Scenario } from '../scenario.js';
import { formatMs, sleep } from '../stats.js';
import { Submitter } from '../submitter.js';

const BALLAST_BYTES = 8 * 1024 * 1024;
const BALLAST_VALUE = 'x'.repeat(64 * 1024);
/** How far below used memory maxmemory is set: enough that buffers growing and shrinking don't cross it. */
const OVER_BY_BYTES = 1024 * 1024;

/**
 * Makes Redis full: maxmemory just below what it uses now (ballast included), unless it already is
 * that far over. Filling to the byte with ballast is not enough: a rejected 64 KiB write frees its
 * own query buffer, leaving room for the next small command.
 */
async function ensureFull(stack: ChaosStack): Promise<number> {
  const used = Number(await stack.redisInfo('memory', 'used_memory'));
  const max = Number(await stack.redisInfo('memory', 'maxmemory'));
  if (max > 0 && used - max >= OVER_BY_BYTES / 2) return max;
  await stack.db.config('SET', 'maxmemory', String(used - OVER_BY_BYTES));
  return used - OVER_BY_BYTES;
}

/**
 * 5. Redis fills up to `maxmemory` (policy noeviction) while runs are in flight: 8 MiB of ballast
 * keys, then the limit just under what Redis uses. Submissions must be refused with
 * 503 + Retry-After, Redis must evict nothing, and once the ballast is deleted the stack must recover
 * by itself: new runs accepted, every agent consuming again, every run finished.
 */
export const redisFull: Scenario<{ before: number; attempts: number; after: number; agents: number; holdMs: number }> = {
  id: 5,
  name: 'redis-full',
  title: 'fill Redis to maxmemory',
  invariant: 'submissions get 503 + Retry-After, evicted_keys stays 0, the stack recovers when memory frees (0 lost runs)',
  sizes: {
    full: { before: 20, attempts: 20, after: 20, agents: 2, holdMs: 5000 },
    reduced: { before: 4, attempts: 4, after: 4, agents: 2, holdMs: 4000 },
  },
  async run({ rng, rec, log, stack: newStack }, size) {
    const stack = await newStack();
    await stack.startOrchestrator(0);
    await Promise.all(Array.from({ length: size.agents }, () => stack.startAgent({ BATON_AGENT_CONCURRENCY: '4' })));
    const agentIds = stack.liveAgents().map((a) => a.id);
    const specs = rng.fork('runs');
    const sub = new Submitter(stack, () => chain(specs, 5, [300, 800]));
    await sub.submitMany(size.before);

    const ballast = new Redis(stack.redis.url, { db: 1, maxRetriesPerRequest: 1, connectionName: 'baton-chaos-ballast' });
    ballast.on('error', () => undefined);
    try {
      // Ballast in database 1, away from Baton's keys, then the limit just under it.
      for (let i = 0; i < BALLAST_BYTES / BALLAST_VALUE.length; i++) await ballast.set(`chaos:ballast:${i}`, BALLAST_VALUE);
      const max = await ensureFull(stack);
      log(`Redis full: maxmemory ${max} bytes, ${BALLAST_BYTES} bytes of ballast`);

      const answers: string[] = [];
      let refusedFull = 0;
      let acceptedWhileFull = 0;
      for (let i = 0; i < size.attempts; i++) {
        await ensureFull(stack);
        const a = await sub.once();
        answers.push(`${a.status ?? 'no answer'} ${a.code ?? ''} retry-after=${a.retryAfter ?? 'none'}`.trim());
        if (a.status === 503 && a.retryAfter !== null && a.code === 'REDIS_OUT_OF_MEMORY') refusedFull++;
        else if (a.status === 202) acceptedWhileFull++;
        await sleep(100);
      }
      // Stay full a while: agents' completions, lock renewals and heartbeats fail meanwhile.
      const holdUntil = Date.now() + size.holdMs;
      while (Date.now() < holdUntil) {
        await ensureFull(stack);
        await sleep(250);
      }
      const evictedWhileFull = Number(await stack.redisInfo('stats', 'evicted_keys'));

      await ballast.flushdb();
      const freedAt = Date.now();
      const first = await sub.submit();
      const recoveryMs = first ? first.acceptedAt - freedAt : null;
      const more = sub.submitMany(size.after - 1);
      const took = await waitAgentsConsuming(stack, agentIds, freedAt, 30_000);
      await more;

      const audit = await settleAndAudit(stack, sub.accepted, 120_000);
      rec.audit(audit);
      rec.submissions(sub.stats);
      const evicted = Number(await stack.redisInfo('stats', 'evicted_keys'));
      const policy = await stack.redisInfo('memory', 'maxmemory_policy');

      rec.count('refusedWhileFull', refusedFull);
      rec.count('acceptedWhileFull', acceptedWhileFull);
      rec.count('evictedKeys', evicted);
      rec.figure('recoveryToFirstAcceptMs', recoveryMs);
      const resumed = [...took.values()];
      rec.figure('agentResumeMaxMs', resumed.every((v) => v !== null) ? Math.max(...(resumed as number[])) : null);
      rec.faults = `maxmemory reached, ${formatMs(size.holdMs)} + ${size.attempts} submissions`;
      rec.headline = `${refusedFull}/${size.attempts} refused 503 + Retry-After; evicted ${evicted}; accepting again ${formatMs(recoveryMs)} after memory freed`;

      rec.check(policy === 'noeviction', `maxmemory-policy is ${policy ?? 'unknown'}, not noeviction`);
      rec.check(evictedWhileFull === 0 && evicted === 0, `Redis evicted ${evicted} keys`);
      rec.check(
        refusedFull + acceptedWhileFull === size.attempts && refusedFull > 0,
        `while full, submissions were answered: ${answers.join('; ')} (expected 503 REDIS_OUT_OF_MEMORY with Retry-After)`,
      );
      rec.check(recoveryMs !== null, 'no submission was accepted after memory was freed');
      for (const [id, ms] of took) rec.check(ms !== null, `agent ${id} took no task within 30 s after memory was freed`);
    } finally {
      ballast.disconnect();
    }
  },
};
