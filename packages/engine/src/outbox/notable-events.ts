import type { NotificationEvent, RunEvent } from '@baton/contracts';
import type { RunDoc } from '../run-doc.js';

/** An outbox entry: a run event someone may have subscribed to, with what a subscription filters on. */
export interface OutboxEntry {
  event: NotificationEvent;
  runId: string;
  pipeline: string;
  labels: Record<string, string>;
  status: string;
  stage: string | null;
  error: { code: string; message: string } | null;
  at: string;
}

/** How many outbox entries Redis keeps (approximate MAXLEN); a consumer further behind loses the oldest. */
export const OUTBOX_MAX_LEN = 100_000;

/**
 * The outbox entries of a transition's events (pure). Written by the run commit script in the same
 * atomic commit as the transition itself, so a committed failure is never without its notification.
 */
export function notableEvents(doc: RunDoc, events: readonly RunEvent[]): OutboxEntry[] {
  const base = { runId: doc.id, pipeline: doc.pipeline.name, labels: doc.labels, status: doc.status };
  const out: OutboxEntry[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'run.succeeded':
      case 'run.cancelled':
        out.push({ ...base, event: e.type, stage: null, error: null, at: e.at });
        break;
      case 'run.failed':
        out.push({ ...base, event: e.type, stage: failedStage(doc), error: { code: e.error.code, message: e.error.message }, at: e.at });
        break;
      case 'stage.failed':
        out.push({ ...base, event: 'stage.failed', stage: e.stage, error: { code: e.error.code, message: e.error.message }, at: e.at });
        break;
      case 'stage.waiting':
        out.push({ ...base, event: 'run.waiting', stage: e.stage, error: null, at: e.at });
        break;
      default:
        break;
    }
  }
  return out;
}

function failedStage(doc: RunDoc): string | null {
  for (const [name, st] of Object.entries(doc.stages)) if (st.status === 'failed') return name;
  return null;
}
