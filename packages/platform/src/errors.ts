/** Message of an unknown thrown value, for logs and error envelopes. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** True for the errors ioredis raises when Redis is unreachable or restarting. */
export function isRedisUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|LOADING|connect ETIMEDOUT|Reached the max retries/.test(
      e.message,
    )
  );
}

/** True when Redis refused a write because maxmemory is reached (noeviction). */
export function isRedisOom(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith('OOM ');
}
