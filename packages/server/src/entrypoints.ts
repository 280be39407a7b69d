/** What the production image can run. Each entry is a module whose import starts the process. */
export const ENTRYPOINTS = {
  orchestrator: '@baton/orchestrator/main',
  cli: '@baton/cli/main',
} as const;

/** Agent types the image can run, by module. */
export const AGENT_ENTRYPOINTS: Record<string, string> = {
  noop: '@baton/agent-noop/main',
  scaffold: '@baton/agent-scaffold/main',
  validation: '@baton/agent-validation/main',
  e2e: '@baton/agent-e2e/main',
  integration: '@baton/agent-integration/main',
  deployment: '@baton/agent-deployment/main',
  llm: '@baton/agent-llm/main',
};
