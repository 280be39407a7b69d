import { fileURLToPath } from 'node:url';

const entry = (specifier: string) => fileURLToPath(import.meta.resolve(specifier));

/** The agent processes the dev stack runs: one per agent type. */
export const DEV_AGENTS: { type: string; entry: string }[] = [
  { type: 'noop', entry: entry('@baton/agent-noop/main') },
  { type: 'scaffold', entry: entry('@baton/agent-scaffold/main') },
  { type: 'validation', entry: entry('@baton/agent-validation/main') },
  { type: 'e2e', entry: entry('@baton/agent-e2e/main') },
  { type: 'integration', entry: entry('@baton/agent-integration/main') },
  // Its dev variant: the services it deploys stop with the dev stack.
  { type: 'deployment', entry: entry('@baton/agent-deployment/dev-main') },
];

export const ORCHESTRATOR_ENTRY = fileURLToPath(import.meta.resolve('@baton/orchestrator/main'));
