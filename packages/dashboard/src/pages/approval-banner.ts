import type { RunView, StageView, Whoami } from '@baton/contracts';
import { baton, can, session } from '../api.js';
import { h } from '../dom.js';
import { time } from '../format.js';
import { act } from './errors.js';

const ORDER = ['viewer', 'submitter', 'operator', 'admin'];
const atLeast = (role: string, needed: string) => ORDER.indexOf(role) >= ORDER.indexOf(needed);

/**
 * Whether the signed-in caller may decide on a waiting approval stage. The browser cannot load
 * @baton/contracts at run time, so this restates its `approvalDenial` rule (the server checks
 * again and answers 403): the self-approval rule, then the approvers, both empty = operators up.
 */
export function mayDecide(run: Pick<RunView, 'createdBy'>, stage: StageView, me: Whoami | null = session.me): boolean {
  const spec = stage.approval;
  if (!spec || stage.status !== 'waiting' || !me) return false;
  if (!can('POST /v1/runs/:id/stages/:stage/approve')) return false;
  if (me.auth === 'disabled') return true;
  if (!spec.allowSelfApproval && run.createdBy !== null && run.createdBy === me.keyId) return false;
  const { roles, keyIds } = spec.approvers;
  if (me.keyId !== null && keyIds.includes(me.keyId)) return true;
  if (roles.some((r) => atLeast(me.role, r))) return true;
  return roles.length === 0 && keyIds.length === 0 && atLeast(me.role, 'operator');
}

/** Comments typed into the banner, per run and stage, until sent. */
const drafts = new Map<string, string>();

/** The run page's banner: one line per waiting stage, with approve/reject for those allowed. */
export function waitingBanner(run: RunView, after: () => void): HTMLElement | null {
  const waiting = run.stages.filter((s) => s.status === 'waiting');
  if (waiting.length === 0) return null;
  return h(
    'div.approval-banner',
    { 'data-waiting': waiting.map((s) => s.name).join(',') },
    waiting.map((s) => {
      const until = s.waitingUntil ? ` (until ${time(s.waitingUntil)})` : '';
      if (s.waitFor) return h('p', {}, h('strong', {}, s.name), ` waits for signal `, h('code', {}, s.waitFor.signal), until);
      const line = h('p', { 'data-approval': s.name }, h('strong', {}, s.name), ` ${s.message ?? s.approval?.message ?? ''}`, until);
      if (!mayDecide(run, s)) {
        line.append(h('span.muted', {}, ' — waiting for an approver'));
        return line;
      }
      // The banner is drawn again on every live update of the run: a comment being typed survives it.
      const key = `${run.id}/${s.name}`;
      const comment = h('input', { type: 'text', placeholder: 'comment (optional)', 'aria-label': `comment for ${s.name}`, oninput: () => drafts.set(key, comment.value) });
      comment.value = drafts.get(key) ?? '';
      const status = h('span.action-status');
      const decide = (verb: 'approve' | 'reject') => {
        const b = h('button', {
          type: 'button',
          'data-action': verb,
          onclick: () =>
            void act(b, status, async () => {
              const body = comment.value ? { comment: comment.value } : {};
              await (verb === 'approve' ? baton.runs.approve(run.id, s.name, body) : baton.runs.reject(run.id, s.name, body));
              drafts.delete(key);
              after();
            }),
        }, verb === 'approve' ? 'Approve' : 'Reject');
        return b;
      };
      line.append(' ', comment, decide('approve'), decide('reject'), status);
      return line;
    }),
  );
}
