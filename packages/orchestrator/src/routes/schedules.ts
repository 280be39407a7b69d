import { HookName, ScheduleList, ScheduleRequest, ScheduleView } from '@baton/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NoContent } from '../openapi/components.js';
import { ApiError } from '../plugins/errors.js';
import { cronProblem } from '../schedules/cron-times.js';
import { scheduleView } from '../schedules/schedule-store.js';
import { NoQuery } from './no-query.js';

const NameParams = z.object({ name: HookName }).strict();
const tags = ['schedules'];

export const scheduleRoutes: FastifyPluginAsyncZod = async (app) => {
  const { engine, scheduler } = app.baton;
  const { store } = scheduler;
  const view = async (name: string) => {
    const s = await store.get(name);
    if (!s) throw new ApiError('NOT_FOUND', `no schedule "${name}"`);
    return scheduleView(s, await store.state(name), Date.now());
  };

  app.get('/v1/schedules', { schema: { operationId: 'listSchedules', tags, summary: 'Schedules with their last tick and next fire times', querystring: NoQuery, response: { 200: ScheduleList }, errors: [] } }, async () => {
    const [all, states] = [await store.list(), await store.states()];
    const now = Date.now();
    return { items: all.map((s) => scheduleView(s, states.get(s.name) ?? null, now)) };
  });

  app.get('/v1/schedules/:name', { schema: { operationId: 'getSchedule', tags, summary: 'A schedule with its last tick and next fire times', params: NameParams, response: { 200: ScheduleView }, errors: ['NOT_FOUND'] } }, async (req) =>
    view(req.params.name),
  );

  app.put(
    '/v1/schedules/:name',
    {
      bodyLimit: 64 * 1024,
      schema: {
        operationId: 'putSchedule',
        tags,
        summary: 'Create or replace a schedule (cron expression in a time zone, pipeline, input, overlap and catch-up policies)',
        params: NameParams,
        body: ScheduleRequest,
        response: { 200: ScheduleView, 201: ScheduleView },
        errors: ['PIPELINE_NOT_FOUND'],
      },
    },
    async (req, reply) => {
      const problem = cronProblem(req.body.cron, req.body.timezone);
      if (problem) throw new ApiError('INVALID_REQUEST', `invalid ${problem.path}: ${problem.message}`, [{ path: [problem.path], message: problem.message }]);
      if (!(await engine.pipelines.get(req.body.pipeline, req.body.version))) throw new ApiError('PIPELINE_NOT_FOUND', `no pipeline "${req.body.pipeline}"`);
      const { schedule, created } = await store.put(req.params.name, req.body, new Date(), req.actor ? { keyId: req.actor.keyId, role: req.actor.role } : null);
      await scheduler.reload();
      return reply.code(created ? 201 : 200).send(scheduleView(schedule, await store.state(schedule.name), Date.now()));
    },
  );

  app.delete('/v1/schedules/:name', { schema: { operationId: 'deleteSchedule', tags, summary: 'Delete a schedule (runs it started are kept)', params: NameParams, response: { 204: NoContent }, errors: ['NOT_FOUND'] } }, async (req, reply) => {
    if (!(await store.delete(req.params.name))) throw new ApiError('NOT_FOUND', `no schedule "${req.params.name}"`);
    await scheduler.reload();
    return reply.code(204).send();
  });

  for (const paused of [true, false]) {
    app.post(
      `/v1/schedules/:name/${paused ? 'pause' : 'resume'}`,
      {
        schema: {
          operationId: paused ? 'pauseSchedule' : 'resumeSchedule',
          tags,
          summary: paused ? 'Pause a schedule: no tick fires until it is resumed' : 'Resume a paused schedule (ticks passed while paused are not caught up)',
          params: NameParams,
          response: { 200: ScheduleView },
          errors: ['NOT_FOUND'],
        },
      },
      async (req) => {
        const s = await store.get(req.params.name);
        if (!s) throw new ApiError('NOT_FOUND', `no schedule "${req.params.name}"`);
        if (s.paused !== paused) {
          const { schedule } = await store.put(s.name, { ...s, paused }, new Date(), s.definedBy);
          if (!paused) await scheduler.markResumed(schedule);
          await scheduler.reload();
        }
        return view(s.name);
      },
    );
  }
};
