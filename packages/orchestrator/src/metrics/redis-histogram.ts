import type { FleetHistogram } from '@baton/engine';
import type { Registry } from 'prom-client';

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram whose observations were counted in Redis (non-cumulative buckets, see
 * engine/store/counters.ts). prom-client cannot load bucket counts into its own Histogram, so this
 * registers an object with the shape the registry renders, turning the counts cumulative.
 */
export function registerRedisHistogram(
  registry: Registry,
  name: string,
  def: FleetHistogram,
  read: () => Promise<{ metric: string; labels: Record<string, string>; value: number }[]>,
): void {
  const metric = {
    name,
    help: def.help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      let fields: Awaited<ReturnType<typeof read>> = [];
      try {
        fields = await read();
      } catch {
        // Redis unreachable: no samples this scrape (baton_redis_ready says why).
      }
      const series = new Map<string, { labels: Record<string, string>; buckets: Map<string, number>; sum: number; count: number }>();
      const seriesOf = (labels: Record<string, string>) => {
        const base = Object.fromEntries(def.labels.map((l) => [l, labels[l] ?? '']));
        const key = JSON.stringify(base);
        let s = series.get(key);
        if (!s) series.set(key, (s = { labels: base, buckets: new Map(), sum: 0, count: 0 }));
        return s;
      };
      const short = name.replace(/^baton_/, '');
      for (const f of fields) {
        // The count is the sum of the buckets (engine/store/counters.ts); no `_count` field is read.
        if (f.metric === `${short}_bucket`) {
          const s = seriesOf(f.labels);
          s.buckets.set(f.labels.le ?? '+Inf', f.value);
          s.count += f.value;
        } else if (f.metric === `${short}_sum`) seriesOf(f.labels).sum = f.value;
      }
      const values: Sample[] = [];
      for (const s of series.values()) {
        let cumulative = 0;
        for (const b of def.buckets) {
          cumulative += s.buckets.get(String(b)) ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: b }, value: cumulative });
        }
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return { name, help: def.help, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}
