import { isRefObject, refTarget, type JsonValue } from '@baton/contracts';

/**
 * The size in bytes of a stage input's JSON once its `$from` references are resolved, computed
 * without building it: `{"$from":"input.big"}` repeated 20,000 times is 20,000 x the size of
 * `input.big`, found by measuring `input.big` once. References to stage outputs that are not known
 * (at submit) count as nothing, so the result is a lower bound there and exact at dispatch.
 */
export function resolvedInputBytes(template: JsonValue, ctx: { input: JsonValue; outputs: Record<string, JsonValue | undefined>; item?: JsonValue }): number {
  const measured = new Map<string, number | undefined>();
  const refBytes = (v: { $from: string; default?: JsonValue }): number | undefined => {
    if (measured.has(v.$from)) return measured.get(v.$from) ?? (v.default !== undefined ? jsonBytes(v.default) : undefined);
    const got = refTarget(v.$from, ctx);
    const n = got === undefined ? undefined : jsonBytes(got);
    measured.set(v.$from, n);
    return n ?? (v.default !== undefined ? jsonBytes(v.default) : undefined);
  };
  const size = (v: JsonValue): number | undefined => {
    if (isRefObject(v)) return refBytes(v);
    if (Array.isArray(v)) return 2 + Math.max(0, v.length - 1) + v.reduce<number>((n, item) => n + (size(item) ?? 4), 0);
    if (typeof v === 'object' && v !== null) {
      let n = 2;
      let kept = 0;
      for (const [k, item] of Object.entries(v)) {
        const s = size(item);
        if (s === undefined) continue;
        n += jsonBytes(k) + 1 + s;
        kept++;
      }
      return n + Math.max(0, kept - 1);
    }
    return jsonBytes(v);
  };
  return size(template) ?? 4;
}

export const jsonBytes = (v: JsonValue | undefined): number => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)));

