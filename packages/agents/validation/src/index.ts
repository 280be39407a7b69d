export { createValidationAgent } from './validation-agent.js';
export { validationConfigFromEnv, type ValidationConfig } from './env.js';
export { evaluateGates, type Measurements } from './gates.js';
export { parseTestCounts } from './parsers/test-results.js';
export { parseCoverage } from './parsers/coverage.js';
export { parseLintCounts } from './parsers/lint.js';
export { parseTypeErrors } from './parsers/typecheck.js';
