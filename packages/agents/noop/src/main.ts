#!/usr/bin/env node
import { runAgent } from '@baton/runtime';
import { noopAgent } from './noop-agent.js';

await runAgent(noopAgent);
