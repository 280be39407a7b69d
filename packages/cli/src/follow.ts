import type { BatonClient } from '@baton/client';
import type { RunView } from '@baton/contracts';
import logUpdate from 'log-update';
import { stageTable } from './render.js';

/**
 * Follows a run to its end: a live-updating stage table on a terminal, one line per event otherwise.
 * Re-reads the run on each event (the event stream says when; the run view says what). The
 * client's follow() resumes the stream across dropped connections and orchestrator restarts.
 */
export async function followRun(client: BatonClient, runId: string, opts: { json?: boolean } = {}): Promise<RunView> {
  const tty = process.stdout.isTTY && !opts.json;
  let latest = await client.runs.get(runId);
  if (tty) logUpdate(stageTable(latest));
  let pending: Promise<void> = Promise.resolve();
  for await (const { event: e } of client.runs.follow(runId)) {
    if (!tty && !opts.json) process.stdout.write(`${e.at} ${e.type}${'stage' in e ? ` ${e.stage}` : ''}\n`);
    // A refresh that fails (the orchestrator restarting) is only a missed frame: the next one, or the last, catches up.
    pending = pending.then(async () => {
      latest = await client.runs.get(runId).catch(() => latest);
      if (tty) logUpdate(stageTable(latest));
    });
  }
  await pending;
  latest = await client.runs.get(runId);
  if (tty) {
    logUpdate(stageTable(latest));
    logUpdate.done();
  } else if (!opts.json) {
    process.stdout.write(`${stageTable(latest)}\n`);
  }
  return latest;
}
