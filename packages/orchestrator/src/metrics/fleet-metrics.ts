import { LIVENESS_STATES, RUN_STATUSES } from '@baton/contracts';
import { FLEET_HISTOGRAMS, parseCounterField } from '@baton/engine';
import { checkEvictionPolicy } from '@baton/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Services } from '../services.js';
import { registerRedisHistogram } from './redis-histogram.js';
import { ttlCache } from './ttl-cache.js';

/**
 * Fleet-wide metrics, read from Redis (counters and histograms are incremented in the same atomic
 * commit as the transitions they count). Every orchestrator process (each PM2 cluster worker)
 * exports the same values, so a scrape through any of them is right: no double counting, no gaps.
 * Reads are cached between scrapes, so scraping does not hammer Redis.
 */
const COUNTERS: Record<string, { help: string; labels: string[] }> = {
  runs_submitted_total: { help: 'Runs accepted', labels: ['pipeline'] },
  runs_finished_total: { help: 'Runs finished, by final status', labels: ['pipeline', 'status'] },
  stages_finished_total: { help: 'Stages finished, by outcome', labels: ['agent', 'outcome'] },
  stage_failures_total: { help: 'Stage failures, by error code', labels: ['agent', 'code'] },
  stage_retries_total: { help: 'Stage attempts that failed and were retried', labels: ['agent'] },
  fanout_items_finished_total: { help: 'Items of fan-out stages finished, by outcome (each item counted once)', labels: ['agent', 'outcome'] },
  fanout_item_retries_total: { help: 'Attempts of fan-out items that failed and were retried', labels: ['agent'] },
  stage_timeouts_total: { help: 'Stages failed by timeout', labels: ['agent'] },
  engine_transitions_total: { help: 'Run transitions committed', labels: [] },
  engine_duplicate_completions_total: { help: 'Job completions ignored because they were already applied or superseded', labels: [] },
  engine_reconciler_repairs_total: { help: 'Inconsistencies the reconciler repaired', labels: ['kind'] },
};

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface FleetMetricsOptions {
  cacheMs?: number;
  /** p95 targets per agent type, seconds (BATON_STAGE_P95_TARGETS). */
  stageTargets?: Record<string, number>;
}

/** Runs `fn`, returning `fallback` when Redis is unreachable (the scrape still answers). */
async function safely<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch {
    return fallback;
  }
}

export function registerFleetMetrics(registry: Registry, s: Services, opts: FleetMetricsOptions = {}): void {
  const { redis, keys, engine } = s;
  const cacheMs = opts.cacheMs ?? 5000;

  const fields = ttlCache(cacheMs, async () => {
    const raw = await redis.hgetall(keys.metrics());
    return Object.entries(raw).map(([field, v]) => ({ ...parseCounterField(field), value: Number(v) }));
  });

  for (const [metric, def] of Object.entries(COUNTERS)) {
    new Counter({
      name: `baton_${metric}`,
      help: def.help,
      labelNames: def.labels,
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of await safely(fields, [])) {
          if (c.metric !== metric) continue;
          this.inc(Object.fromEntries(def.labels.map((l) => [l, c.labels[l] ?? ''])), c.value);
        }
      },
    });
  }
  for (const [name, def] of Object.entries(FLEET_HISTOGRAMS)) registerRedisHistogram(registry, `baton_${name}`, def, fields);

  const statusCounts = ttlCache(cacheMs, async () => {
    const pipe = redis.pipeline();
    for (const st of RUN_STATUSES) pipe.zcard(keys.runsByStatus(st));
    const res = (await pipe.exec()) ?? [];
    return RUN_STATUSES.map((status, i) => ({ status, n: Number(res[i]?.[1] ?? 0) }));
  });
  new Gauge({
    name: 'baton_runs_current',
    help: 'Runs currently in each status (finished ones until retention deletes them)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { status, n } of await safely(statusCounts, [])) this.set({ status }, n);
    },
  });

  const queueCounts = ttlCache(cacheMs, async () => {
    const types = [...(await engine.registry.knownTypes())];
    return Promise.all(types.map(async (agent) => ({ agent, counts: await engine.ctx.queues.counts(agent) })));
  });
  new Gauge({
    name: 'baton_queue_jobs',
    help: 'Jobs on each agent queue, by state',
    labelNames: ['agent', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { agent, counts } of await safely(queueCounts, [])) {
        for (const state of QUEUE_STATES) this.set({ agent, state }, counts[state]);
      }
    },
  });

  const fleet = ttlCache(cacheMs, async () => ({ types: [...(await engine.registry.knownTypes())], agents: await engine.registry.list() }));
  new Gauge({
    name: 'baton_agents',
    help: 'Agents in the registry by type and liveness (alive, stale, dead, deaf, draining, wedged)',
    labelNames: ['agent', 'liveness'],
    registers: [registry],
    async collect() {
      this.reset();
      const f = await safely(fleet, null);
      if (!f) return;
      for (const agent of f.types) {
        for (const liveness of LIVENESS_STATES) this.set({ agent, liveness }, f.agents.filter((a) => a.type === agent && a.liveness === liveness).length);
      }
    },
  });
  type AgentRow = Awaited<ReturnType<typeof engine.registry.list>>[number];
  const LIVE = new Set(['alive', 'deaf', 'draining']);
  /** A gauge with one value per agent type, computed from that type's registry rows (skipped when undefined). */
  const perType = (name: string, help: string, value: (agents: AgentRow[]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['agent'],
      registers: [registry],
      async collect() {
        this.reset();
        const f = await safely(fleet, null);
        for (const agent of f?.types ?? []) {
          const v = value(f!.agents.filter((a) => a.type === agent));
          if (v !== undefined) this.set({ agent }, v);
        }
      },
    });
  perType('baton_agent_heartbeat_age_max_seconds', 'Seconds since the last heartbeat of the most silent registered agent of each type', (agents) =>
    agents.length > 0 ? Math.max(...agents.map((a) => a.lastSeenAgoMs / 1000)) : undefined,
  );
  perType('baton_agent_capacity_slots', 'Task slots (sum of concurrency) of live agents of each type', (agents) =>
    agents.filter((a) => LIVE.has(a.liveness)).reduce((n, a) => n + a.concurrency, 0),
  );
  perType('baton_agent_busy_slots', 'Task slots in use on live agents of each type', (agents) =>
    agents.filter((a) => LIVE.has(a.liveness)).reduce((n, a) => n + a.active.length, 0),
  );

  const ready = ttlCache(cacheMs, async () => (await checkEvictionPolicy(redis)).ok);
  new Gauge({
    name: 'baton_redis_ready',
    help: '1 when Redis answers and its maxmemory-policy is noeviction, else 0',
    registers: [registry],
    async collect() {
      this.set((await safely(ready, false)) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'baton_stage_p95_target_seconds',
    help: 'Configured p95 execution time target per agent type (BATON_STAGE_P95_TARGETS); alerts compare against it',
    labelNames: ['agent'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [agent, seconds] of Object.entries(opts.stageTargets ?? {})) this.set({ agent }, seconds);
    },
  });
}
