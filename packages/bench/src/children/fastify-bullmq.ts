/**
 * The E′ anchor: what a user would write instead of Baton's POST /v1/runs — a Fastify route that
 * zod-validates the same body (Baton's own RunRequest schema) and adds one BullMQ job.
 */
import { keys, RunRequest } from '@baton/contracts';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { childConfig, exitWithParent, send } from './ipc.js';

const cfg = childConfig<{ port: number; url: string; namespace: string; queue: string }>();
const k = keys(cfg.namespace);
const connection = new Redis(cfg.url, { maxRetriesPerRequest: null, connectionName: 'bench-fastify-bullmq' });
const queue = new Queue(k.queue(cfg.queue), { connection, prefix: k.bullPrefix });
await queue.waitUntilReady();
const app = Fastify({ logger: false });
app.post('/v1/runs', async (req, reply) => {
  const body = RunRequest.safeParse(req.body);
  if (!body.success) return reply.code(400).send({ error: 'bad request', issues: body.error.issues });
  const job = await queue.add('run', body.data);
  return reply.code(202).send({ id: job.id, status: 'queued' });
});
await app.listen({ port: cfg.port, host: '127.0.0.1' });
send({ type: 'ready' });
exitWithParent(async () => {
  await app.close();
  await queue.close();
  connection.disconnect();
});
