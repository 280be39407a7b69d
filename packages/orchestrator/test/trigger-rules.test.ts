import { describe, expect, it } from 'vitest';
import { TriggerMapping } from '@baton/contracts';
import { latestTickBetween, nextTicks } from '../src/schedules/cron-times.js';
import { deliveryContext } from '../src/triggers/delivery-context.js';
import { mapDelivery } from '../src/triggers/payload-mapping.js';
import { filterMismatch, globToRegExp } from '../src/triggers/trigger-filter.js';

const SHA = 'c'.repeat(40);

describe('trigger filters and mappings (pure)', () => {
  it('globs: * stays within a segment, ** crosses them, the rest is literal', () => {
    expect(globToRegExp('release/*').test('release/1.0')).toBe(true);
    expect(globToRegExp('release/*').test('release/1/hotfix')).toBe(false);
    expect(globToRegExp('release/**').test('release/1/hotfix')).toBe(true);
    expect(globToRegExp('v1.*').test('v1x2')).toBe(false);
    expect(globToRegExp('v1.*').test('v1.2')).toBe(true);
  });

  it('normalises GitLab merge requests and GitHub tag pushes', () => {
    const mr = deliveryContext('gitlab', 'Merge Request Hook', 'd1', {
      object_kind: 'merge_request',
      user: { username: 'root' },
      project: { path_with_namespace: 'g/p', git_http_url: 'http://x/g/p.git' },
      object_attributes: { iid: 7, source_branch: 'feat', target_branch: 'main', action: 'open', last_commit: { id: SHA } },
    });
    expect(mr).toMatchObject({ event: 'pull_request', branch: 'feat', baseBranch: 'main', pullRequest: 7, sha: SHA, pusher: 'root', action: 'open', repository: 'g/p' });
    const tag = deliveryContext('github', 'push', 'd2', { ref: 'refs/tags/v1', after: SHA, repository: { full_name: 'o/r' }, pusher: { name: 'm' } });
    expect(tag).toMatchObject({ event: 'tag', tag: 'v1', branch: null });
    // A deleted branch has no head SHA.
    expect(deliveryContext('github', 'push', 'd3', { ref: 'refs/heads/x', after: '0'.repeat(40) }).sha).toBeNull();
  });

  it('filters say why they refuse; a branch filter leaves tags alone and a tag filter branches', () => {
    const push = deliveryContext('github', 'push', 'd', { ref: 'refs/heads/dev', repository: { full_name: 'o/r' } });
    const tag = deliveryContext('github', 'push', 'd', { ref: 'refs/tags/v2', repository: { full_name: 'o/r' } });
    expect(filterMismatch({ branches: ['main'] }, push)).toContain('branch "dev"');
    expect(filterMismatch({ branches: ['main'] }, tag)).toBeNull();
    expect(filterMismatch({ tags: ['v*'] }, push)).toBeNull();
    expect(filterMismatch({ tags: ['release-*'] }, tag)).toContain('tag "v2"');
    expect(filterMismatch({ events: ['pull_request'] }, push)).toContain('event "push"');
    expect(filterMismatch({ repositories: ['o/*'] }, push)).toBeNull();
  });

  it('maps templates: a whole placeholder keeps its JSON type, text interpolates, missing is null or left out', () => {
    const ctx = deliveryContext('github', 'pull_request', 'd', { action: 'opened', number: 5, pull_request: { head: { ref: 'f', sha: SHA }, base: { ref: 'main' } }, repository: { full_name: 'o/r' } });
    const m = mapDelivery(TriggerMapping.parse({ input: { n: '{pullRequest}', t: 'PR {pullRequest} on {repository}', nested: ['{sha}', { b: '{baseBranch}' }], missing: '{tag}', lit: 3 }, labels: { pr: '{pullRequest}', tag: '{tag}' } }), ctx);
    expect(m.input).toEqual({ n: 5, t: 'PR 5 on o/r', nested: [SHA, { b: 'main' }], missing: null, lit: 3 });
    expect(m.labels).toEqual({ pr: '5' });
  });
});

describe('cron times', () => {
  it('finds the latest missed tick, also for a fast cron after a long outage, in a time zone', () => {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    expect(latestTickBetween('*/10 * * * * *', 'UTC', t0, t0 + 35_000)).toBe(t0 + 30_000);
    expect(latestTickBetween('* * * * * *', 'UTC', t0, t0 + 5 * 86_400_000 + 500)).toBe(t0 + 5 * 86_400_000);
    expect(latestTickBetween('0 3 * * *', 'UTC', t0, t0 + 3600_000)).toBeNull();
    // 03:00 in Berlin on 2026-03-01 (CET, UTC+1) is 02:00 UTC.
    expect(nextTicks('0 3 * * *', 'Europe/Berlin', t0, 1)).toEqual([Date.parse('2026-03-01T02:00:00Z')]);
  });
});
