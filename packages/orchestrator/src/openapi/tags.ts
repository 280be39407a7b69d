/** Every tag a route may use, with the description the document shows. A route with another tag fails the route check. */
export const TAGS = {
  runs: 'Submit runs, read them, follow their events, and act on them (cancel, pause, resume, retry).',
  artifacts: 'Files stages stored for a run: logs, test reports, screenshots.',
  pipelines: 'Versioned pipeline definitions (DAGs of stages).',
  agents: 'The agent registry and fleet operations: drain and restart agents, roll a drain through a fleet.',
  queues: 'Agent queues: backlog counts, throughput, pause and resume.',
  security: 'API keys, the audit log, the caller, and dashboard sessions.',
  triggers: 'Webhook triggers (GitHub, GitLab, generic signed JSON) and the route that receives their deliveries.',
  schedules: 'Cron schedules that start runs, with pause/resume and next fire times.',
  notifications: 'Subscriptions that deliver run outcomes to webhooks or Slack, with a dead-letter view.',
  health: 'Liveness and readiness probes (no authentication).',
} as const;

export type Tag = keyof typeof TAGS;
