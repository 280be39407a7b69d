export { createE2eAgent } from './e2e-agent.js';
export { e2eConfigFromEnv, findChromium, CHROMIUM_CANDIDATES, type E2eConfig } from './env.js';
export { runHttpCheck, jsonIncludes } from './http-check.js';
export { browserCheck } from './browser-check.js';
