import { keys, PipelineDefinition, type Keys, type RunRequest } from '@baton/contracts';
import { counterField, type EngineConfig } from '@baton/engine';
import { DEFAULT_AUTH, startOrchestrator, type Orchestrator } from '@baton/orchestrator';
import { createLogger } from '@baton/platform';
import { Redis } from 'ioredis';
import { sleep } from './stats.js';

/** An orchestrator (engine with its loops; HTTP app not listening) in the driver process, production timings. */
export class BenchStack {
  readonly keys: Keys;
  private readonly counter: Redis;

  private constructor(
    readonly orch: Orchestrator,
    url: string,
    namespace: string,
  ) {
    this.keys = keys(namespace);
    this.counter = new Redis(url, { connectionName: 'bench-driver', maxRetriesPerRequest: 1 });
  }

  static async start(url: string, namespace: string, engine: Partial<EngineConfig> = {}): Promise<BenchStack> {
    const orch = await startOrchestrator({
      redis: { url, namespace },
      log: createLogger({ name: 'bench-orchestrator', level: process.env.BENCH_LOG_LEVEL ?? 'warn', pretty: false }),
      engine,
      builtinPipelines: false,
      auth: { ...DEFAULT_AUTH, mode: 'disabled', rateLimit: { max: 1_000_000_000, windowMs: 60_000 } },
    });
    return new BenchStack(orch, url, namespace);
  }

  get engine() {
    return this.orch.engine;
  }

  /** Submits `n` runs (a few at a time) through the engine, as POST /v1/runs does after validation. */
  async submit(n: number, definition: PipelineDefinition, input: (i: number) => Record<string, unknown> = () => ({}), parallel = 16): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await this.engine.submit({ definition, input: input(i) } as RunRequest);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  }

  /** Finished runs (succeeded, failed) so far. */
  async finished(): Promise<{ succeeded: number; failed: number }> {
    const [s, f] = await Promise.all([this.counter.zcard(this.keys.runsByStatus('succeeded')), this.counter.zcard(this.keys.runsByStatus('failed'))]);
    return { succeeded: s, failed: f };
  }

  /** Stages of an agent type that finished so far (the fleet counter the engine keeps in each commit). */
  async stagesFinished(agent: string): Promise<number> {
    const [ok, failed] = await this.counter.hmget(
      this.keys.metrics(),
      counterField('stages_finished_total', { agent, outcome: 'succeeded' }),
      counterField('stages_finished_total', { agent, outcome: 'failed' }),
    );
    return Number(ok ?? 0) + Number(failed ?? 0);
  }

  /** Waits until `n` runs have finished; returns when that was seen (polling every `everyMs`). */
  async untilFinished(n: number, everyMs = 20, timeoutMs = 600_000): Promise<{ succeeded: number; failed: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.finished();
      if (f.succeeded + f.failed >= n) return f;
      if (Date.now() > deadline) throw new Error(`only ${f.succeeded + f.failed} of ${n} runs finished in ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  }

  async stop(): Promise<void> {
    this.counter.disconnect();
    await this.orch.close();
  }
}

/** A linear pipeline of `stages` stages of one agent type; stage i takes `input.s<i>` as its sleep when given. */
export function linearPipeline(stages: number, agent = 'noop', sleepFromInput = false): PipelineDefinition {
  return PipelineDefinition.parse({
    stages: Array.from({ length: stages }, (_, i) => ({
      name: `s${i + 1}`,
      agent,
      ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
      ...(sleepFromInput ? { input: { ms: { $from: `input.s${i + 1}` } } } : {}),
    })),
  });
}
