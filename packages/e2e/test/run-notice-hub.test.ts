import { keys } from '@baton/contracts';
import { RunNoticeHub } from '@baton/orchestrator';
import { useTestStack, testNamespace, waitFor } from '@baton/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();

describe('run notice hub', () => {
  it('is subscribed only while a stream listens, and passes notices to the listeners of the run', async () => {
    const k = keys(testNamespace());
    const subscriber = new Redis(stack.redis.url);
    const publisher = new Redis(stack.redis.url);
    stack.defer(async () => {
      subscriber.disconnect();
      publisher.disconnect();
    });
    const hub = new RunNoticeHub(subscriber, k);
    await hub.start();
    const subscribers = async () => ((await publisher.pubsub('NUMSUB', k.runNotices())) as [string, number])[1];
    expect(await subscribers()).toBe(0);

    const seen: string[] = [];
    const offRun = hub.on('run_a', () => seen.push('a'));
    const offAny = hub.onAny((id) => seen.push(`any:${id}`));
    await waitFor(async () => (await subscribers()) === 1, { what: 'subscription' });
    await publisher.publish(k.runNotices(), JSON.stringify({ runId: 'run_a', rev: 2 }));
    await publisher.publish(k.runNotices(), JSON.stringify({ runId: 'run_b', rev: 2 }));
    await waitFor(() => seen.length === 3, { what: 'notices' });
    expect(seen).toEqual(['a', 'any:run_a', 'any:run_b']);

    offRun();
    expect(await subscribers()).toBe(1); // the any-listener still listens
    offAny();
    await waitFor(async () => (await subscribers()) === 0, { what: 'unsubscription' });
    await hub.stop();
  });
});
