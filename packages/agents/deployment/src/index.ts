export { createDeploymentAgent } from './deployment-agent.js';
export { deploymentConfigFromEnv, type DeploymentConfig } from './env.js';
export { Pm2Client } from './pm2-client.js';
export { AppReleases } from './releases.js';
export { startSpec } from './start-spec.js';
export { serviceName } from './deploy-target.js';
