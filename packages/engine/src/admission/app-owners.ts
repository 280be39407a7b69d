import { isRefObject, roleAtLeast, type JsonValue, type PipelineDefinition, type SecretUser } from '@baton/contracts';
import type { EngineContext } from '../context.js';
import { EngineError } from '../engine-error.js';
import { resolveInputRefs } from './secret-uses.js';

/** The agent whose `app` names a long-lived service that one key owns. */
const DEPLOYMENT_AGENT = 'deployment';

/** The app names the deployment stages of a request deploy (each must be known at submit). */
export function deployedApps(definition: PipelineDefinition, input: JsonValue): string[] {
  const apps = new Set<string>();
  for (const [i, stage] of definition.stages.entries()) {
    if (stage.agent !== DEPLOYMENT_AGENT) continue;
    const resolved = resolveInputRefs(stage.input, input);
    const app = resolved !== null && typeof resolved === 'object' && !Array.isArray(resolved) ? resolved.app : undefined;
    if (typeof app === 'string') apps.add(app);
    else if (app !== undefined && (isRefObject(app) || typeof app !== 'string')) {
      throw new EngineError('INVALID_PIPELINE', `stage "${stage.name}": the deployment app name must be known at submit (a literal or from the run input), so that its owner can be checked`, [
        { path: ['definition', 'stages', i, 'input', 'app'], message: 'a string, or a reference into the run input' },
      ]);
    }
  }
  return [...apps];
}

/**
 * Deployment app names are owned: the first key that deploys an app owns it, and other keys may
 * not deploy (replace) it unless they are operators. Claims are atomic (HSETNX); submissions
 * without a key (auth disabled, bootstrap admin) act as operators and claim nothing.
 */
export async function claimApps(ctx: EngineContext, definition: PipelineDefinition, input: JsonValue, user: SecretUser | null): Promise<void> {
  const apps = deployedApps(definition, input);
  if (apps.length === 0) return;
  const operator = user !== null && roleAtLeast(user.role, 'operator');
  const keyId = user?.keyId ?? null;
  for (const app of apps) {
    if (keyId !== null) await ctx.redis.hsetnx(ctx.keys.appOwners(), app, keyId);
    const owner = await ctx.redis.hget(ctx.keys.appOwners(), app);
    if (owner === null || owner === keyId || operator) continue;
    throw new EngineError('APP_NOT_OWNED', `deployment app "${app}" belongs to key ${owner}; only that key or an operator may deploy it`);
  }
}
