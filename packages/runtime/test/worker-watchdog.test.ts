import { createLogger } from '@baton/platform';
import { describe, expect, it } from 'vitest';
import { WorkerWatchdog, type WatchedWorker } from '../src/worker-watchdog.js';

/** A worker whose observable state the test sets; the watchdog's checks are driven by hand. */
function scene() {
  const s = { now: 0, ready: 0, paused: false, hung: false, answering: false, writable: true, free: true, takenAt: 0, recoveries: 0, restarts: 0 };
  const worker: WatchedWorker = {
    backlog: () => (s.hung ? new Promise(() => undefined) : Promise.resolve({ ready: s.ready, paused: s.paused })),
    writable: async () => s.writable,
    answeredSince: () => s.answering,
    wantsWork: () => s.free,
    lastTakenAt: () => s.takenAt,
    recover: async () => void s.recoveries++,
    restart: () => void s.restarts++,
  };
  const dog = new WorkerWatchdog(worker, { stallAfterMs: 1000, readTimeoutMs: 20, log: createLogger({ name: 't', level: 'silent', pretty: false }) }, () => s.now);
  const at = async (ms: number) => {
    s.now = ms;
    await dog.check();
  };
  return { s, dog, at };
}

describe('the worker watchdog', () => {
  it('recovers a worker that takes nothing while work is ready, and restarts the agent when that does not help', async () => {
    const { s, dog, at } = scene();
    s.ready = 2;
    await at(0);
    await at(999);
    expect(s.recoveries).toBe(0);
    await at(1000);
    expect(s.recoveries).toBe(1);
    await at(2000);
    await at(3000);
    expect(s.recoveries).toBe(3);
    await at(4000);
    expect(s.restarts).toBe(1);
    dog.stop();
  });

  it('is quiet when nothing is ready, the queue is paused, slots are full, or jobs are being taken', async () => {
    const { s, dog, at } = scene();
    await at(0);
    await at(5000); // nothing ready
    s.ready = 1;
    s.paused = true;
    await at(6000);
    await at(9000); // paused
    s.paused = false;
    s.free = false;
    await at(10_000);
    await at(13_000); // busy
    s.free = true;
    for (let t = 14_000; t < 20_000; t += 400) {
      s.takenAt = t; // taking jobs all along, with more always waiting
      await at(t + 200);
    }
    expect(s.recoveries).toBe(0);
    dog.stop();
  });

  it('does not call a worker deaf while Redis refuses writes (a failover in progress)', async () => {
    const { s, dog, at } = scene();
    s.ready = 3;
    s.writable = false;
    for (let t = 0; t <= 20_000; t += 250) await at(t);
    expect([s.recoveries, s.restarts]).toEqual([0, 0]);
    s.writable = true;
    await at(21_000);
    expect(s.recoveries).toBe(1);
    // That recovery worked (a job was taken): the count towards a restart starts again.
    s.takenAt = 21_500;
    await at(21_600);
    await at(22_700);
    await at(23_800);
    await at(24_900);
    expect([s.recoveries, s.restarts]).toEqual([4, 0]);
    dog.stop();
  });

  it('recovers a worker whose own connection hangs while the heartbeat still reaches Redis, but not while Redis is unreachable', async () => {
    const { s, dog, at } = scene();
    s.hung = true;
    // Nothing answers at all (Redis down): not deafness, whatever the time.
    for (let t = 0; t <= 5000; t += 250) await at(t);
    expect(s.recoveries).toBe(0);
    // The heartbeat's connection gets through while the worker's read hangs: its connection is stuck.
    s.answering = true;
    await at(5250);
    await at(6000);
    expect(s.recoveries).toBe(0);
    await at(6250);
    expect(s.recoveries).toBe(1);
    // Reconnecting helped: reads answer again and nothing is ready.
    s.hung = false;
    await at(7000);
    await at(9000);
    expect(s.recoveries).toBe(1);
    dog.stop();
  });
});
