import type { AgentSpec } from './agents/spec.js';
import { deploymentSpec } from './agents/deployment.js';
import { e2eSpec } from './agents/e2e.js';
import { integrationSpec } from './agents/integration.js';
import { noopSpec } from './agents/noop.js';
import { scaffoldSpec } from './agents/scaffold.js';
import { validationSpec } from './agents/validation.js';

/** Agent types built into Baton. User-defined agents register themselves at start-up instead. */
export const catalogue: ReadonlyMap<string, AgentSpec> = new Map<string, AgentSpec>(
  [noopSpec, scaffoldSpec, validationSpec, e2eSpec, integrationSpec, deploymentSpec].map((s): [string, AgentSpec] => [s.type, s]),
);

export const BUILTIN_AGENT_TYPES: readonly string[] = [...catalogue.keys()];
