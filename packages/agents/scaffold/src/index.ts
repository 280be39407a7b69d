export { createScaffoldAgent } from './scaffold-agent.js';
export { scaffoldConfigFromEnv } from './env.js';
export { BUILTIN_TEMPLATES_DIR, type ScaffoldConfig } from './config.js';
export { listTemplates, loadTemplate, type Template } from './template-catalogue.js';
export { renderTemplate, templateVariables } from './render-template.js';
