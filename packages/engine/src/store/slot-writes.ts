import type { Keys } from '@baton/contracts';
import { slotMember } from '../control/concurrency.js';
import type { RunDoc } from '../run-doc.js';
import type { OpList } from './ops.js';

/**
 * The Redis writes that make the concurrency sets follow `prev -> next` (control/concurrency.ts),
 * in the same atomic commit as the document: a new waiting slot joins the key's waiters, a slot
 * now held is taken (refused when the key is full), a slot gone from the document is released.
 */
export function slotWrites(ops: OpList, k: Keys, prev: RunDoc | null, next: RunDoc): void {
  const a = prev?.slots ?? {};
  const b = next.slots ?? {};
  for (const [scope, slot] of Object.entries(b)) {
    const was = a[scope];
    const member = slotMember(next.id, scope);
    if (slot.status === 'held' && was?.status !== 'held') {
      ops.take(k.concurrencyHolders(slot.key), k.concurrencyWaiters(slot.key), slot.limit, member, next.updatedAt);
    } else if (slot.status === 'waiting' && !was) {
      ops.zadd(k.concurrencyWaiters(slot.key), next.createdAt, member).zadd(k.concurrencyKeys(), 0, slot.key);
    }
  }
  for (const [scope, slot] of Object.entries(a)) {
    if (!b[scope]) ops.release(k.concurrencyHolders(slot.key), k.concurrencyWaiters(slot.key), slotMember(next.id, scope));
  }
}
