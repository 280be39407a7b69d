import type { NotificationBody } from '@baton/contracts';
import type { OutboxEntry } from '@baton/engine';
import type { StoredNotification } from './notification-store.js';

/** Whether a subscription wants an outbox entry (pure). */
export function subscribed(sub: StoredNotification, e: OutboxEntry): boolean {
  if (!sub.events.includes(e.event)) return false;
  if (sub.pipelines && !sub.pipelines.includes(e.pipeline)) return false;
  for (const [k, v] of Object.entries(sub.labels ?? {})) if (e.labels[k] !== v) return false;
  return true;
}

export function runUrl(sub: StoredNotification, runId: string): string | null {
  return sub.dashboardUrl ? `${sub.dashboardUrl.replace(/\/+$/, '')}/ui/runs/${runId}` : null;
}

/** The JSON body of a webhook notification. */
export function webhookBody(sub: StoredNotification, deliveryId: string, e: OutboxEntry): NotificationBody {
  return {
    deliveryId,
    subscription: sub.name,
    event: e.event,
    at: e.at,
    run: { id: e.runId, pipeline: e.pipeline, status: e.status, labels: e.labels, url: runUrl(sub, e.runId) },
    stage: e.stage,
    error: e.error,
  };
}

const HEADLINE: Record<OutboxEntry['event'], string> = {
  'run.succeeded': ':white_check_mark: Run succeeded',
  'run.failed': ':x: Run failed',
  'run.cancelled': ':no_entry_sign: Run cancelled',
  'run.waiting': ':hourglass: Run waiting for approval',
  'stage.failed': ':warning: Stage failed',
};

/** Slack incoming-webhook message (`text` plus Block Kit `blocks`): status, failing stage, error, link. */
export function slackMessage(sub: StoredNotification, e: OutboxEntry): { text: string; blocks: unknown[] } {
  const url = runUrl(sub, e.runId);
  const run = url ? `<${url}|${e.runId}>` : `\`${e.runId}\``;
  const lines = [`*${HEADLINE[e.event]}*: ${run} (pipeline \`${e.pipeline}\`, status *${e.status}*)`];
  if (e.stage) lines.push(`Stage: \`${e.stage}\``);
  if (e.error) lines.push(`Error: \`${e.error.code}\` ${e.error.message.slice(0, 500)}`);
  return {
    text: `${HEADLINE[e.event]}: ${e.runId} (${e.pipeline})`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}
