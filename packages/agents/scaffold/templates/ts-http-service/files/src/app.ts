import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { greet } from './greeting.js';

export interface AppInfo {
  service: string;
  release: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function page(info: AppInfo): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>${info.service}</title></head>
  <body><h1>${info.service}</h1><p id="status">Service is up (release ${info.release}).</p></body>
</html>
`;
}

/** Answers one request. */
export function handle(info: AppInfo, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
  switch (url.pathname) {
    case '/health':
      return sendJson(res, 200, { status: 'ok', service: info.service, release: info.release });
    case '/api/greeting': {
      const result = greet(url.searchParams.get('name') ?? 'world');
      return result.ok ? sendJson(res, 200, { greeting: result.text }) : sendJson(res, 400, { error: result.error });
    }
    case '/':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(info));
      return;
    default:
      return sendJson(res, 404, { error: 'not found' });
  }
}

export function createApp(info: AppInfo): Server {
  return createServer((req, res) => handle(info, req, res));
}
