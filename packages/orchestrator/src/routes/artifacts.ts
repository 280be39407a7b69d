import { ArtifactList, ArtifactMeta } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Binary } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { RunParams } from './runs.js';

const ArtifactParams = RunParams.extend({ artifactId: z.string().regex(/^art_[0-9a-f]{24}$/, 'not an artifact id') }).strict();
const tags = ['artifacts'];

export const artifactRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, redis, keys } = app.baton;

  async function metas(runId: string): Promise<ArtifactMeta[]> {
    if (!(await engine.get(runId))) throw new ApiError('RUN_NOT_FOUND', `no run ${runId}`);
    const all = await redis.hgetall(keys.runArtifacts(runId));
    return Object.values(all)
      .map((json) => ArtifactMeta.parse(JSON.parse(json)))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  app.get(
    '/v1/runs/:id/artifacts',
    { schema: { operationId: 'listRunArtifacts', tags, summary: "A run's artifacts (stage logs, reports, screenshots)", params: RunParams, response: { 200: ArtifactList }, errors: ['RUN_NOT_FOUND'] } },
    async (req) => ({ items: await metas(req.params.id) }),
  );

  app.get(
    '/v1/runs/:id/artifacts/:artifactId',
    {
      schema: {
        operationId: 'getRunArtifact',
        tags,
        summary: 'The content of one artifact',
        params: ArtifactParams,
        response: { 200: { description: "The artifact's bytes, served with its own content type (text/plain, image/png, ...)", content: { 'application/octet-stream': { schema: Binary } } } },
        errors: ['RUN_NOT_FOUND', 'NOT_FOUND'],
      },
    },
    async (req, reply) => {
      const meta = (await metas(req.params.id)).find((m) => m.id === req.params.artifactId);
      if (!meta) throw new ApiError('NOT_FOUND', `run ${req.params.id} has no artifact ${req.params.artifactId}`);
      const file = await engine.ctx.artifacts?.open(meta.sha256);
      if (!file) throw new ApiError('NOT_FOUND', `the content of artifact ${meta.id} is not in this orchestrator's artifact store`);
      const filename = meta.name.replace(/[^\w.-]/g, '_');
      return reply
        .type(meta.contentType)
        .header('content-length', file.size)
        .header('content-disposition', `inline; filename="${filename}"`)
        .header('x-content-type-options', 'nosniff')
        .send(file.stream);
    },
  );
};
