export { createIntegrationAgent } from './integration-agent.js';
export { integrationConfigFromEnv, type IntegrationConfig } from './env.js';
export { mergeNoFf, pushBranch, MergeConflict } from './merge.js';
