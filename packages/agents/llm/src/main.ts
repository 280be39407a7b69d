#!/usr/bin/env node
import { runAgent } from '@baton/runtime';
import { llmAgent } from './llm-agent.js';

await runAgent(llmAgent());
