export * from './define-agent.js';
export * from './errors.js';
export * from './agent.js';
export * from './run-agent.js';
export * from './env.js';
export type { ArtifactWriter, ArtifactConfig } from './artifacts.js';
export type { LiveLog } from './live-log.js';
