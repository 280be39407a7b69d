// PM2 fleet for Baton. Build first (`npx -y pnpm@10 build`), then `npx pm2 start ecosystem.config.js`.
// Every value comes from the environment (defaults after `||`); apps run the built JavaScript in dist/.
// Logs: $PM2_HOME/logs/<app>-{out,error}.log, each line timestamped.
//
// kill_timeout must stay above BATON_DRAIN_GRACE_MS + BATON_ABORT_GRACE_MS (defaults 30 s + 5 s):
// on stop/restart/reload PM2 sends SIGINT, the agent drains, and only after kill_timeout a SIGKILL.

const common = {
  exec_mode: 'fork',
  autorestart: true,
  wait_ready: true, // the process calls process.send('ready') once it serves / consumes
  listen_timeout: 30000,
  exp_backoff_restart_delay: 200, // restart back-off: 200 ms, doubling up to 15 s, reset after 30 s up
  log_date_format: 'YYYY-MM-DDTHH:mm:ss.SSSZ',
  merge_logs: true,
  env: { NODE_ENV: 'production' },
};

// Agents connect to Redis as their own least-privilege ACL user (README "Redis: password, ACL user,
// TLS"), never as the orchestrator's user, and never see the orchestrator's secrets: PM2 hands every
// app the environment of `pm2 start`, so the agents' copy is overridden here. With a Redis password
// set, BATON_AGENT_REDIS_PASSWORD (and optionally BATON_AGENT_REDIS_USERNAME) must be set too.
if (process.env.REDIS_PASSWORD && !process.env.BATON_AGENT_REDIS_PASSWORD) {
  throw new Error('REDIS_PASSWORD is set but BATON_AGENT_REDIS_PASSWORD is not: agents need their own Redis ACL user (see the README, "Redis: password, ACL user, TLS")');
}
const agentEnv = {
  ...common.env,
  BATON_BOOTSTRAP_ADMIN_KEY: '',
  ...(process.env.BATON_AGENT_REDIS_PASSWORD
    ? { REDIS_USERNAME: process.env.BATON_AGENT_REDIS_USERNAME || 'baton-agent', REDIS_PASSWORD: process.env.BATON_AGENT_REDIS_PASSWORD }
    : {}),
};

const agent = (type) => ({
  ...common,
  env: agentEnv,
  name: `baton-agent-${type}`,
  script: `packages/agents/${type}/dist/main.js`,
  instances: process.env[`BATON_AGENT_${type.toUpperCase()}_INSTANCES`] || 1,
  max_memory_restart: process.env.BATON_AGENT_MAX_MEMORY || '512M',
  kill_timeout: Number(process.env.BATON_AGENT_KILL_TIMEOUT_MS || 45000),
});

module.exports = {
  apps: [
    {
      ...common,
      name: 'baton-orchestrator',
      script: 'packages/orchestrator/dist/main.js',
      exec_mode: 'cluster',
      instances: process.env.BATON_ORCHESTRATOR_INSTANCES || 'max', // max = one per CPU
      max_memory_restart: process.env.BATON_ORCHESTRATOR_MAX_MEMORY || '1G',
      kill_timeout: Number(process.env.BATON_ORCHESTRATOR_KILL_TIMEOUT_MS || 20000),
    },
    agent('noop'),
    agent('scaffold'),
    agent('validation'),
    agent('e2e'),
    agent('integration'),
    agent('deployment'),
  ],
};
