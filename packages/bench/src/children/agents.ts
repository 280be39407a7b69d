/** Runs `count` Baton agents (noop or the bench hop agent) in this process, as `runAgent` would. */
import { keys } from '@baton/contracts';
import { noopAgent } from '@baton/agent-noop';
import { createLogger } from '@baton/platform';
import { startAgent, type AgentHandle } from '@baton/runtime';
import { hopAgent } from '../hop-agent.js';
import { childConfig, exitWithParent, send } from './ipc.js';

interface Config {
  url: string;
  namespace: string;
  agent: 'noop' | 'hop';
  count: number;
  concurrency: number;
  heartbeatMs?: number;
}

const cfg = childConfig<Config>();
const log = createLogger({ name: 'bench-agent', level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
const def = cfg.agent === 'hop' ? hopAgent : noopAgent;
const agents: AgentHandle[] = [];
for (let i = 0; i < cfg.count; i++) {
  agents.push(
    await startAgent(def, {
      redis: { url: cfg.url, namespace: cfg.namespace },
      keys: keys(cfg.namespace),
      log,
      concurrency: cfg.concurrency,
      ...(cfg.heartbeatMs ? { heartbeatMs: cfg.heartbeatMs } : {}),
      drainGraceMs: 2000,
    }),
  );
}
send({ type: 'ready' });
exitWithParent(async () => {
  await Promise.all(agents.map((a) => a.stop('shutdown')));
});
