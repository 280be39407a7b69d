import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

const KEEPALIVE_MS = 15_000;

/**
 * Takes the response over for server-sent events: headers that keep proxies from buffering, a
 * client reconnect delay, and a keepalive comment every 15 s until the response ends or closes.
 */
export function openEventStream(reply: FastifyReply, first = ''): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 2000\n\n${first}`);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const stop = () => clearInterval(keepalive);
  res.once('finish', stop);
  res.once('close', stop);
  return res;
}
