import { secretUseDenied, type ApiIssue, type JsonValue, type PipelineDefinition, type SecretUser } from '@baton/contracts';
import type { EngineContext } from '../context.js';
import { EngineError } from '../engine-error.js';
import { resolvedInputBytes } from './input-size.js';
import { findSecretUses, resolveInputRefs } from './secret-uses.js';

/** The envelope fields around a stage's input (ids, agent, labels): a generous allowance. */
export const ENVELOPE_OVERHEAD_BYTES = 8 * 1024;

/**
 * Checks a submission before anything is stored: every stage's resolved input fits the envelope cap
 * (a lower bound where it depends on upstream outputs), the stages together fit the run cap, and
 * every secret the request names may be used by this caller and sent where the request sends it.
 */
export function admitSubmission(ctx: EngineContext, definition: PipelineDefinition, input: JsonValue, user: SecretUser | null): void {
  const { maxStageInputBytes, maxRunInputBytes } = ctx.config;
  let total = 0;
  for (const [i, stage] of definition.stages.entries()) {
    const bytes = resolvedInputBytes(stage.input, { input, outputs: {} }) + ENVELOPE_OVERHEAD_BYTES;
    if (bytes > maxStageInputBytes) {
      throw new EngineError('STAGE_INPUT_TOO_LARGE', `stage "${stage.name}" input would resolve to at least ${bytes} bytes (at most ${maxStageInputBytes}); reference less of the run input`, [
        { path: ['definition', 'stages', i, 'input'], message: `at least ${bytes} bytes once resolved` },
      ]);
    }
    total += bytes;
  }
  if (total > maxRunInputBytes) {
    throw new EngineError('STAGE_INPUT_TOO_LARGE', `the stages' inputs would resolve to at least ${total} bytes together (at most ${maxRunInputBytes} per run)`);
  }
  const uses = [
    ...findSecretUses(input, ['input']),
    ...definition.stages.flatMap((s, i) => findSecretUses(resolveInputRefs(s.input, input), ['definition', 'stages', i, 'input'])),
  ];
  const issues: ApiIssue[] = [];
  for (const u of uses) {
    const why = secretUseDenied(ctx.config.secretScopes, u.secret, u.use, user);
    if (why) issues.push({ path: u.at, message: why });
  }
  if (issues.length > 0) throw new EngineError('SECRET_SCOPE_DENIED', issues[0]!.message, issues);
}

/** 429 when the key already has as many active runs as it may (an Idempotency-Key replay is let through). */
export async function admitActiveRuns(ctx: EngineContext, createdBy: string | null, idempotencyKeyHash: string | null): Promise<void> {
  const cap = ctx.config.maxActiveRunsPerKey;
  if (cap <= 0 || createdBy === null) return;
  const active = await ctx.redis.zintercard(2, ctx.keys.runsActive(), ctx.keys.runsByCreator(createdBy), 'LIMIT', cap);
  if (active < cap) return;
  if (idempotencyKeyHash && (await ctx.redis.exists(ctx.keys.idempotency(idempotencyKeyHash))) > 0) return;
  throw new EngineError('TOO_MANY_ACTIVE_RUNS', `key ${createdBy} has ${active} active runs (at most ${cap}); wait for some to finish or cancel them`);
}
