import { validatePipeline, type ApiIssue, type PipelineDefinition } from '@baton/contracts';
import { validateConditions } from './control/conditions.js';

/** Every check of a definition: the contracts' structural ones, then the CEL `when` conditions. */
export function validateDefinition(def: PipelineDefinition, knownAgents: ReadonlySet<string>): ApiIssue[] {
  const issues = validatePipeline(def, knownAgents);
  return issues.length > 0 ? issues : validateConditions(def);
}
