import { PipelineDefinition, type Keys, type PipelineView } from '@baton/contracts';
import { validateDefinition } from './validate.js';
import type { RedisClient } from '@baton/platform';
import { canonicalJson } from './canonical-json.js';
import { EngineError } from './engine-error.js';
import { callScript } from './store/scripts.js';

/** How many pipeline versions `cached()` remembers before it starts over. */
const CACHE_MAX = 1000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Versioned pipeline definitions. A run copies the definition it starts with, so new versions never change running runs. */
export class PipelineRegistry {
  /** Versions read so far (`name@version`, and `name@latest` for the latest one read), definitions frozen. */
  private readonly seen = new Map<string, PipelineView>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly knownAgents: (needed: string[]) => Promise<Set<string>>,
  ) {}

  /** Registers `definition` under `name`; returns the new version, or the latest if identical. */
  async put(name: string, definition: PipelineDefinition): Promise<{ view: PipelineView; created: boolean }> {
    const issues = validateDefinition(definition, await this.knownAgents(definition.stages.map((s) => s.agent)));
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
    const view: PipelineView = { name, version: v, createdAt: at ?? '', definition: deepFreeze(PipelineDefinition.parse(JSON.parse(json))) };
    if (this.seen.size >= CACHE_MAX) this.seen.clear();
    this.seen.set(`${name}@${v}`, view);
    if (version === undefined) this.seen.set(`${name}@latest`, view);
    return view;
  }

  /**
   * The version last read by `get(name, version)` in this process, without asking Redis. Only a
   * hint: the version may since have been superseded (or lost with Redis' data), so whoever acts on
   * it must check it against Redis atomically with the action (submitRun does, see create-run.lua).
   */
  cached(name: string, version?: number): PipelineView | undefined {
    return this.seen.get(`${name}@${version ?? 'latest'}`);
  }

  async list(): Promise<PipelineView[]> {
    const latest = await this.redis.hgetall(this.keys.pipelines());
    const views = await Promise.all(Object.entries(latest).map(([name, v]) => this.get(name, Number(v))));
    return views.filter((v): v is PipelineView => v !== null).sort((a, b) => a.name.localeCompare(b.name));
  }
}
