import type { HookSource } from './delivery-identity.js';

/**
 * What a delivery means, the same for every provider: the fields filters and mappings use.
 * `event` is normalised (`push`, `tag`, `pull_request`, else the provider's own name).
 */
export interface DeliveryContext {
  event: string;
  /** The provider's event name as sent (`push`, `Push Hook`, …). */
  providerEvent: string;
  deliveryId: string;
  repository: string | null;
  cloneUrl: string | null;
  /** Pushed branch, or a pull request's source (head) branch. */
  branch: string | null;
  /** A pull request's target (base) branch. */
  baseBranch: string | null;
  tag: string | null;
  sha: string | null;
  pusher: string | null;
  pullRequest: number | null;
  action: string | null;
  payload: unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const ZERO_SHA = /^0{40}$/;

function fromRef(ref: string | null): { branch: string | null; tag: string | null } {
  if (ref?.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length), tag: null };
  if (ref?.startsWith('refs/tags/')) return { branch: null, tag: ref.slice('refs/tags/'.length) };
  return { branch: null, tag: null };
}

/** Reads a delivery's payload per provider (GitHub and GitLab documented webhook formats). */
export function deliveryContext(source: HookSource, providerEvent: string, deliveryId: string, payload: unknown): DeliveryContext {
  const p = obj(payload);
  const empty = { branch: null, baseBranch: null, tag: null, sha: null, pusher: null, pullRequest: null, action: null };
  const base = { providerEvent, deliveryId, payload };
  switch (source) {
    case 'github': {
      const repo = obj(p.repository);
      const repository = { repository: str(repo.full_name), cloneUrl: str(repo.clone_url) };
      if (providerEvent === 'push') {
        const { branch, tag } = fromRef(str(p.ref));
        const after = str(p.after);
        return { ...base, ...empty, ...repository, event: tag !== null ? 'tag' : 'push', branch, tag, sha: after && !ZERO_SHA.test(after) ? after : null, pusher: str(obj(p.pusher).name) };
      }
      if (providerEvent === 'pull_request') {
        const pr = obj(p.pull_request);
        return {
          ...base,
          ...empty,
          ...repository,
          event: 'pull_request',
          branch: str(obj(pr.head).ref),
          baseBranch: str(obj(pr.base).ref),
          sha: str(obj(pr.head).sha),
          pusher: str(obj(p.sender).login),
          pullRequest: num(p.number) ?? num(pr.number),
          action: str(p.action),
        };
      }
      return { ...base, ...empty, ...repository, event: providerEvent };
    }
    case 'gitlab': {
      const project = obj(p.project);
      const repository = { repository: str(project.path_with_namespace), cloneUrl: str(project.git_http_url) };
      const kind = str(p.object_kind);
      if (kind === 'push' || kind === 'tag_push') {
        const { branch, tag } = fromRef(str(p.ref));
        const sha = str(p.checkout_sha) ?? str(p.after);
        return { ...base, ...empty, ...repository, event: kind === 'tag_push' ? 'tag' : 'push', branch, tag, sha: sha && !ZERO_SHA.test(sha) ? sha : null, pusher: str(p.user_username) ?? str(p.user_name) };
      }
      if (kind === 'merge_request') {
        const mr = obj(p.object_attributes);
        return {
          ...base,
          ...empty,
          ...repository,
          event: 'pull_request',
          branch: str(mr.source_branch),
          baseBranch: str(mr.target_branch),
          sha: str(obj(mr.last_commit).id),
          pusher: str(obj(p.user).username),
          pullRequest: num(mr.iid),
          action: str(mr.action),
        };
      }
      return { ...base, ...empty, ...repository, event: kind ?? providerEvent };
    }
    case 'generic': {
      const { branch, tag } = fromRef(str(p.ref));
      return {
        ...base,
        ...empty,
        event: providerEvent,
        repository: str(p.repository),
        cloneUrl: str(p.cloneUrl),
        branch: str(p.branch) ?? branch,
        tag: str(p.tag) ?? tag,
        sha: str(p.sha),
        pusher: str(p.pusher),
      };
    }
  }
}
