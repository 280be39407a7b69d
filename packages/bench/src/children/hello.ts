/** The Fastify anchor for scenario E: a hello-world POST route that parses the same JSON body. */
import Fastify from 'fastify';
import { childConfig, exitWithParent, send } from './ipc.js';

const cfg = childConfig<{ port: number }>();
const app = Fastify({ logger: false });
let n = 0;
app.post('/hello', async (_req, reply) => reply.code(202).send({ hello: 'world', n: ++n }));
await app.listen({ port: cfg.port, host: '127.0.0.1' });
send({ type: 'ready' });
exitWithParent(() => app.close());
