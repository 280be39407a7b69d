import { randomBytes } from 'node:crypto';
import type { ArtifactMeta, Keys } from '@baton/contracts';
import type { ArtifactStore, RedisClient } from '@baton/platform';
import { NonRetryableError } from './errors.js';

/** What a handler uses to keep logs, reports and screenshots with its run. */
export interface ArtifactWriter {
  save(name: string, data: string | Buffer, contentType?: string): Promise<ArtifactMeta>;
}

export interface ArtifactConfig {
  store: ArtifactStore;
  maxBytes: number;
}

/** Writes the bytes to the content-addressed store, then records metadata and a reference in Redis. */
export function artifactWriter(
  cfg: ArtifactConfig | undefined,
  redis: RedisClient,
  keys: Keys,
  where: { runId: string; stage: string; agentId: string },
): ArtifactWriter {
  return {
    async save(name, data, contentType = 'text/plain; charset=utf-8') {
      if (!cfg) throw new NonRetryableError('ARTIFACTS_DISABLED', 'this agent has no artifact store configured (BATON_DATA_DIR)');
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (buf.length > cfg.maxBytes) {
        throw new NonRetryableError('ARTIFACT_TOO_LARGE', `artifact "${name}" is ${buf.length} bytes; the limit is ${cfg.maxBytes}`);
      }
      const sha256 = await cfg.store.put(buf);
      const meta: ArtifactMeta = {
        id: `art_${randomBytes(12).toString('hex')}`,
        runId: where.runId,
        stage: where.stage,
        name: name.slice(0, 200),
        contentType,
        size: buf.length,
        sha256,
        createdAt: new Date().toISOString(),
        agentId: where.agentId,
      };
      await redis.multi().hset(keys.runArtifacts(where.runId), meta.id, JSON.stringify(meta)).hincrby(keys.artifactRefs(), sha256, 1).exec();
      return meta;
    },
  };
}
