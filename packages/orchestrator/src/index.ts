export { buildApp } from './app.js';
export { startOrchestrator, type Orchestrator, type OrchestratorOptions } from './orchestrator.js';
export { OrchestratorEnv, authConfigFromEnv, engineConfigFromEnv, stageTargetsFromEnv } from './env.js';
export { DEFAULT_AUTH, type AuthConfig } from './auth/auth-config.js';
export { PERMISSIONS } from './auth/permissions.js';
export { runView, runSummary } from './views.js';
export { BUILTIN_PIPELINES } from './builtin-pipelines.js';
export { RunNoticeHub } from './run-notice-hub.js';
