import type { ForkRequest, SecretUser } from '@baton/contracts';
import { admitActiveRuns, admitSubmission } from './admission/admission.js';
import { claimApps } from './admission/app-owners.js';
import type { EngineContext } from './context.js';
import { forkRun, linkFork } from './control/fork.js';
import { dispatchStage } from './effects.js';
import { EngineError } from './engine-error.js';
import { newRunId } from './ids.js';
import { mutateRun } from './mutate.js';
import type { RunDoc } from './run-doc.js';

/**
 * Forks a run: stores the new run (upstream stages copied), links the parent to it, dispatches its
 * first stages. The link on the parent is written after the new run; if the process dies in
 * between, the child still names its parent (`forkedFrom`) and only the parent's list lacks it.
 */
export async function forkRunFrom(ctx: EngineContext, parentId: string, req: ForkRequest, createdBy: string | null, user: SecretUser | null = null): Promise<RunDoc> {
  const parent = await ctx.store.load(parentId);
  if (!parent) throw new EngineError('RUN_NOT_FOUND', `no run ${parentId}`);
  const now = ctx.now();
  const t = forkRun(parent.doc, { id: newRunId(now), now, createdBy, request: req });
  // The same admission as a submission, for the key that forks (its secret scopes, caps and apps).
  admitSubmission(ctx, t.doc.definition, t.doc.input, user);
  await admitActiveRuns(ctx, createdBy, null);
  await claimApps(ctx, t.doc.definition, t.doc.input, user);
  const r = await ctx.store.create(t, null, null);
  if (!('created' in r) || !r.created) throw new EngineError('INTERNAL', `could not store the fork of ${parentId}`);
  await mutateRun(ctx, parentId, (d) => linkFork(d, t.doc.id));
  ctx.log.info({ runId: t.doc.id, parent: parentId, fromStage: req.fromStage }, 'run forked');
  for (const [name, st] of Object.entries(t.doc.stages)) {
    if (st.status !== 'queued') continue;
    await dispatchStage(ctx, t.doc, name).catch((e: unknown) =>
      ctx.log.warn({ runId: t.doc.id, stage: name, err: e instanceof Error ? e.message : String(e) }, 'could not dispatch stage; the reconciler will retry'),
    );
  }
  return t.doc;
}
