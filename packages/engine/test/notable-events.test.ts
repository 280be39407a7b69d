import { describe, expect, it } from 'vitest';
import type { RunEvent } from '@baton/contracts';
import { notableEvents } from '../src/outbox/notable-events.js';
import type { RunDoc } from '../src/run-doc.js';

const at = '2026-12-03T00:00:00.000Z';
const doc = {
  id: 'run_01JABCDEFGHJKMNPQRSTVWXYZ0',
  pipeline: { name: 'deploy', version: 1 },
  labels: { env: 'prod' },
  status: 'failed',
  stages: { build: { status: 'succeeded' }, ship: { status: 'failed' } },
} as unknown as RunDoc;

describe('outbox entries of a transition', () => {
  it('are written for terminal run events, stage failures and approval waits only', () => {
    const error = { code: 'BROKEN', message: 'it broke', retryable: false };
    const events: RunEvent[] = [
      { type: 'stage.started', runId: doc.id, at, stage: 'ship', agentId: null, attempt: 1 },
      { type: 'stage.failed', runId: doc.id, at, stage: 'ship', error },
      { type: 'run.failed', runId: doc.id, at, error },
      { type: 'stage.waiting', runId: doc.id, at, stage: 'gate', message: 'approve', until: null },
    ];
    expect(notableEvents(doc, events)).toEqual([
      { event: 'stage.failed', runId: doc.id, pipeline: 'deploy', labels: { env: 'prod' }, status: 'failed', stage: 'ship', error: { code: 'BROKEN', message: 'it broke' }, at },
      { event: 'run.failed', runId: doc.id, pipeline: 'deploy', labels: { env: 'prod' }, status: 'failed', stage: 'ship', error: { code: 'BROKEN', message: 'it broke' }, at },
      { event: 'run.waiting', runId: doc.id, pipeline: 'deploy', labels: { env: 'prod' }, status: 'failed', stage: 'gate', error: null, at },
    ]);
    expect(notableEvents(doc, [{ type: 'run.started', runId: doc.id, at }])).toEqual([]);
  });
});
