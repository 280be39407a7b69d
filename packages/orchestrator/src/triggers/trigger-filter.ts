import type { TriggerFilter } from '@baton/contracts';
import type { DeliveryContext } from './delivery-context.js';

/** `*` matches within one `/`-separated segment, `**` across segments; everything else literally. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const matchesAny = (value: string, globs: readonly string[]) => globs.some((g) => globToRegExp(g).test(value));

/** Why a delivery does not match a trigger's filter, or null when it does (pure). */
export function filterMismatch(filter: TriggerFilter, ctx: DeliveryContext): string | null {
  if (filter.events && !filter.events.includes(ctx.event) && !filter.events.includes(ctx.providerEvent)) {
    return `event "${ctx.event}" is not one of ${filter.events.join(', ')}`;
  }
  if (filter.repositories && (ctx.repository === null || !matchesAny(ctx.repository, filter.repositories))) {
    return `repository "${ctx.repository ?? ''}" matches none of ${filter.repositories.join(', ')}`;
  }
  // A branch filter leaves tag deliveries alone, and a tag filter branch deliveries.
  if (filter.branches && ctx.tag === null && (ctx.branch === null || !matchesAny(ctx.branch, filter.branches))) {
    return `branch "${ctx.branch ?? ''}" matches none of ${filter.branches.join(', ')}`;
  }
  if (filter.tags && ctx.branch === null && (ctx.tag === null || !matchesAny(ctx.tag, filter.tags))) {
    return `tag "${ctx.tag ?? ''}" matches none of ${filter.tags.join(', ')}`;
  }
  if (filter.actions && ctx.action !== null && !filter.actions.includes(ctx.action)) {
    return `action "${ctx.action}" is not one of ${filter.actions.join(', ')}`;
  }
  return null;
}
