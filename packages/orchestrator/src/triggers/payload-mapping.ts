import type { JsonValue, TriggerMapping } from '@baton/contracts';
import type { DeliveryContext } from './delivery-context.js';

const PLACEHOLDER = /\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}/g;
const WHOLE = /^\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}$/;

/** The value at a dotted path of the delivery context (`branch`, `payload.pull_request.number`), or undefined. */
function lookup(ctx: DeliveryContext, path: string): unknown {
  let v: unknown = ctx;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function render(value: JsonValue, ctx: DeliveryContext): JsonValue {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return (lookup(ctx, whole[1]!) ?? null) as JsonValue;
    return value.replace(PLACEHOLDER, (_m, path: string) => {
      const v = lookup(ctx, path);
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, ctx));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, ctx)]));
  return value;
}

/** A run's input and labels from a delivery (pure). Labels whose value renders empty are left out. */
export function mapDelivery(mapping: TriggerMapping, ctx: DeliveryContext): { input: Record<string, JsonValue>; labels: Record<string, string> } {
  const input = Object.fromEntries(Object.entries(mapping.input).map(([k, v]) => [k, render(v, ctx)]));
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(mapping.labels)) {
    const r = render(v, ctx);
    const s = r === null ? '' : typeof r === 'string' ? r : JSON.stringify(r);
    if (s !== '') labels[k] = s.slice(0, 256);
  }
  return { input, labels };
}
