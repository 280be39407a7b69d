import { createApp } from './app.js';

const port = Number(process.env.PORT ?? {{port}});
const host = process.env.HOST ?? '0.0.0.0';
const server = createApp({ service: '{{name}}', release: process.env.BATON_RELEASE ?? 'dev' });

server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', service: '{{name}}', host, port })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
