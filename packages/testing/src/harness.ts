import type { RunView } from '@baton/contracts';
import type { Orchestrator } from '@baton/orchestrator';
import type { AgentDefinition, AgentHandle, AgentOptions } from '@baton/runtime';
import { inject, TERMINAL, type JsonResponse } from './http.js';
import { rmSync } from 'node:fs';
import { artifactDirFor, testAgent, testOrchestrator } from './in-process.js';
import { testNamespace } from './namespace.js';
import type { TestRedis } from './redis-server.js';
import { waitFor } from './wait-for.js';
import type { EngineConfig } from '@baton/engine';

/** One orchestrator and any number of agents, in-process, in a fresh namespace of a test Redis. */
export class Harness {
  readonly agents: AgentHandle[] = [];
  /** Sent with every request made through the harness (e.g. an API key when auth is on). */
  headers: Record<string, string> = {};
  private constructor(
    readonly redis: TestRedis,
    readonly ns: string,
    readonly orch: Orchestrator,
  ) {}

  static async start(redis: TestRedis, engine: Partial<EngineConfig> & { agentDeafAfterMs?: number } = {}, extra: Parameters<typeof testOrchestrator>[3] = {}): Promise<Harness> {
    const ns = testNamespace();
    return new Harness(redis, ns, await testOrchestrator(redis.target, ns, engine, extra));
  }

  get app() {
    return this.orch.app;
  }
  get engine() {
    return this.orch.engine;
  }
  get keys() {
    return this.orch.engine.ctx.keys;
  }

  async agent(def: AgentDefinition, opts: Partial<Omit<AgentOptions, 'redis' | 'keys' | 'log'>> = {}): Promise<AgentHandle> {
    const a = await testAgent(def, this.redis.target, this.ns, opts);
    this.agents.push(a);
    return a;
  }

  request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse<T>> {
    return inject<T>(this.app, method, url, body, { ...this.headers, ...headers });
  }

  async submit(body: unknown, headers?: Record<string, string>): Promise<RunView> {
    const res = await this.request<RunView>('POST', '/v1/runs', body, headers);
    if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async run(id: string): Promise<RunView> {
    const res = await this.request<RunView>('GET', `/v1/runs/${id}`);
    if (res.status !== 200) throw new Error(`GET run ${id}: ${res.status}`);
    return res.body;
  }

  /** Waits until the run satisfies `pred` (default: finished). */
  waitRun(id: string, pred: (r: RunView) => boolean = (r) => TERMINAL.has(r.status), timeoutMs = 30_000): Promise<RunView> {
    return waitFor(async () => {
      const r = await this.run(id);
      return pred(r) ? r : undefined;
    }, { timeoutMs, what: `run ${id}` });
  }

  waitStage(id: string, stage: string, status: string, timeoutMs = 30_000): Promise<RunView> {
    return this.waitRun(id, (r) => r.stages.find((s) => s.name === stage)?.status === status, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop('shutdown')));
    await this.orch.close();
    rmSync(artifactDirFor(this.ns), { recursive: true, force: true });
  }
}
