import { TERMINAL_RUN_STATUSES, type RunView } from '@baton/contracts';
import logUpdate from 'log-update';
import type { ApiClient } from './client.js';
import { stageTable } from './render.js';

/**
 * Follows a run to its end: a live-updating stage table on a terminal, one line per event otherwise.
 * Re-reads the run on each event (the event stream says when; the run view says what).
 */
export async function followRun(client: ApiClient, runId: string, opts: { json?: boolean } = {}): Promise<RunView> {
  const tty = process.stdout.isTTY && !opts.json;
  let latest = await client.request<RunView>('GET', `/v1/runs/${runId}`);
  if (tty) logUpdate(stageTable(latest));
  let pending: Promise<void> = Promise.resolve();
  let lastId: string | undefined;
  // The server replays past events, then live ones, and ends the stream after the run's final event.
  for (let reconnects = 0; ; reconnects++) {
    try {
      await client.followEvents(
        runId,
        (e, id) => {
          lastId = id;
          if (!tty && !opts.json) process.stdout.write(`${e.at} ${e.type}${'stage' in e ? ` ${e.stage}` : ''}\n`);
          pending = pending.then(async () => {
            latest = await client.request<RunView>('GET', `/v1/runs/${runId}`);
            if (tty) logUpdate(stageTable(latest));
          });
        },
        lastId,
      );
    } catch (e: unknown) {
      if (reconnects > 30) throw e;
      await new Promise((r) => setTimeout(r, 1000)); // stream dropped (e.g. an orchestrator restart): resume
    }
    await pending;
    latest = await client.request<RunView>('GET', `/v1/runs/${runId}`);
    if (TERMINAL_RUN_STATUSES.has(latest.status)) break;
  }
  if (tty) {
    logUpdate(stageTable(latest));
    logUpdate.done();
  } else if (!opts.json) {
    process.stdout.write(`${stageTable(latest)}\n`);
  }
  return latest;
}
