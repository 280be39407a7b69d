/** Memoises an async function for `ttlMs` (failures are not cached). */
export function ttlCache<T>(ttlMs: number, fn: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | null = null;
  return () => {
    const now = Date.now();
    if (value && now - at < ttlMs) return value;
    at = now;
    value = fn().catch((e: unknown) => {
      value = null;
      throw e;
    });
    return value;
  };
}
