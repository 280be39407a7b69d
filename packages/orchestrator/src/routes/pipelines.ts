import { PipelineDefinition, PipelineList, PipelineName, PipelineView } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../plugins/errors.js';
import { NoQuery } from './no-query.js';

const NameParams = z.object({ name: PipelineName }).strict();
const tags = ['pipelines'];

export const pipelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine } = app.baton;

  app.get(
    '/v1/pipelines',
    { schema: { operationId: 'listPipelines', tags, summary: 'Registered pipelines (latest version of each)', querystring: NoQuery, response: { 200: PipelineList }, errors: [] } },
    async () => ({ items: await engine.pipelines.list() }),
  );

  app.get(
    '/v1/pipelines/:name',
    {
      schema: {
        operationId: 'getPipeline',
        tags,
        summary: 'A registered pipeline (latest, or ?version=n)',
        params: NameParams,
        querystring: z.object({ version: z.coerce.number().int().positive().optional() }).strict(),
        response: { 200: PipelineView },
        errors: ['PIPELINE_NOT_FOUND'],
      },
    },
    async (req) => {
      const view = await engine.pipelines.get(req.params.name, req.query.version);
      if (!view) throw new ApiError('PIPELINE_NOT_FOUND', `no pipeline "${req.params.name}"${req.query.version ? ` version ${req.query.version}` : ''}`);
      return view;
    },
  );

  app.put(
    '/v1/pipelines/:name',
    {
      bodyLimit: 256 * 1024,
      schema: {
        operationId: 'putPipeline',
        tags,
        summary: 'Register a new version of a pipeline (no new version when unchanged)',
        params: NameParams,
        body: PipelineDefinition,
        response: { 200: PipelineView, 201: PipelineView },
        errors: ['INVALID_PIPELINE'],
      },
    },
    async (req, reply) => {
      const { view, created } = await engine.pipelines.put(req.params.name, req.body);
      if (created) req.log.info({ pipeline: view.name, version: view.version }, 'pipeline registered');
      return reply.code(created ? 201 : 200).send(view);
    },
  );
};
