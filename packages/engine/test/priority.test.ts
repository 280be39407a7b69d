import { describe, expect, it } from 'vitest';
import { bullPriority, fromBullPriority, runPriority } from '../src/control/priority.js';
import { newRun } from './helpers.js';

describe('run priorities (control/priority.ts)', () => {
  it('default to 5 and map 10 (highest) to BullMQ 1 (its first)', () => {
    const plain = newRun({ stages: [{ name: 'a', agent: 'noop' }] });
    expect(runPriority(plain)).toBe(5);
    expect(bullPriority(plain)).toBe(6);
    const hot = newRun({ stages: [{ name: 'a', agent: 'noop' }] }, {}, { priority: 10 });
    expect(hot.priority).toBe(10);
    expect(bullPriority(hot)).toBe(1);
    expect(bullPriority({ priority: 1 })).toBe(10);
    for (let p = 1; p <= 10; p++) expect(fromBullPriority(bullPriority({ priority: p }))).toBe(p);
  });
});
