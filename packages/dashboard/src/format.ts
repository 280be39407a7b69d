/** "1.2 s", "3 min 4 s", "2 h 5 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "12 s ago" from an ISO time. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  return `${duration(Math.max(0, now - Date.parse(iso)))} ago`;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "1,234 tokens (in 1,200 · out 34) · $0.0041 · 3 calls": a stage's or run's model spend. */
export function modelUsage(u: { inputTokens: number; outputTokens: number; costUsd: number; calls: number }): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `${n(u.inputTokens + u.outputTokens)} tokens (in ${n(u.inputTokens)} · out ${n(u.outputTokens)}) · $${u.costUsd.toFixed(4)} · ${u.calls} call${u.calls === 1 ? '' : 's'}`;
}

/** "budget 5,000 tokens, $1": a run's model budget. */
export function modelBudget(b: { tokens?: number | undefined; costUsd?: number | undefined }): string {
  return `budget ${[b.tokens !== undefined ? `${b.tokens.toLocaleString('en-US')} tokens` : '', b.costUsd !== undefined ? `$${b.costUsd}` : ''].filter(Boolean).join(', ')}`;
}

/** `datetime-local` value (local time, minutes) of an ISO instant; '' when there is none. */
export function localInput(iso: string | null): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
