import { Cron } from 'croner';

/** A cron expression in a time zone, as croner evaluates it (5 fields, or 6 with seconds first). */
export function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true });
}

/** Why an expression or time zone is unusable, or null. */
export function cronProblem(expression: string, timezone: string): { path: string; message: string } | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return { path: 'timezone', message: `"${timezone}" is not an IANA time zone` };
  }
  try {
    if (cronOf(expression, timezone).nextRun() === null) return { path: 'cron', message: 'the expression never fires' };
  } catch (e: unknown) {
    return { path: 'cron', message: e instanceof Error ? e.message : 'not a cron expression' };
  }
  return null;
}

/** The next `n` ticks strictly after `afterMs`. */
export function nextTicks(expression: string, timezone: string, afterMs: number, n: number): number[] {
  return cronOf(expression, timezone)
    .nextRuns(n, new Date(afterMs))
    .map((d) => d.getTime());
}

const MAX_STEPS = 200_000;
const WINDOWS_MS = [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000];

/**
 * The latest tick in (afterMs, nowMs], or null when there is none. Looks back over growing windows
 * (a minute, an hour, a day, …), so a fast cron after a long outage walks only the last minute.
 */
export function latestTickBetween(expression: string, timezone: string, afterMs: number, nowMs: number): number | null {
  const cron = cronOf(expression, timezone);
  for (const w of WINDOWS_MS) {
    const start = Math.max(afterMs, nowMs - w);
    let latest: number | null = null;
    let from = start;
    for (let i = 0; i < MAX_STEPS; i++) {
      const next = cron.nextRun(new Date(from))?.getTime();
      if (next === undefined || next > nowMs) break;
      latest = next;
      from = next;
    }
    if (latest !== null || start === afterMs) return latest;
  }
  return null;
}
