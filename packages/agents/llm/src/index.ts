export { llmAgent } from './llm-agent.js';
export { LlmInput, LlmOutput, LlmTool } from './schema.js';
export { renderTemplate } from './template.js';
export { loadPrompt, PROMPT_DIR } from './prompts.js';
