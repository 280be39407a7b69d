import { PipelineDefinition, validatePipeline, type Keys, type PipelineView } from '@baton/contracts';
import type { RedisClient } from '@baton/platform';
import { canonicalJson } from './canonical-json.js';
import { EngineError } from './engine-error.js';
import { callScript } from './store/scripts.js';

/** Versioned pipeline definitions. A run copies the definition it starts with, so new versions never change running runs. */
export class PipelineRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly knownAgents: (needed: string[]) => Promise<Set<string>>,
  ) {}

  /** Registers `definition` under `name`; returns the new version, or the latest if identical. */
  async put(name: string, definition: PipelineDefinition): Promise<{ view: PipelineView; created: boolean }> {
    const issues = validatePipeline(definition, await this.knownAgents(definition.stages.map((s) => s.agent)));
    if (issues.length > 0) throw new EngineError('INVALID_PIPELINE', `pipeline "${name}" is invalid: ${issues[0]!.message}`, issues);
    const createdAt = new Date().toISOString();
    const [version, created] = (await callScript(this.redis, 'batonPutPipeline', [this.keys.pipelineVersions(name), this.keys.pipelines()], [
      name,
      canonicalJson(definition),
      createdAt,
    ])) as [number, number];
    const view = await this.get(name, version);
    return { view: view!, created: created === 1 };
  }

  async get(name: string, version?: number): Promise<PipelineView | null> {
    const v = version ?? Number((await this.redis.hget(this.keys.pipelines(), name)) ?? 0);
    if (!v) return null;
    const [json, at] = await this.redis.hmget(this.keys.pipelineVersions(name), String(v), `${v}:at`);
    if (json == null) return null;
    return { name, version: v, createdAt: at ?? '', definition: PipelineDefinition.parse(JSON.parse(json)) };
  }

  async list(): Promise<PipelineView[]> {
    const latest = await this.redis.hgetall(this.keys.pipelines());
    const views = await Promise.all(Object.entries(latest).map(([name, v]) => this.get(name, Number(v))));
    return views.filter((v): v is PipelineView => v !== null).sort((a, b) => a.name.localeCompare(b.name));
  }
}
