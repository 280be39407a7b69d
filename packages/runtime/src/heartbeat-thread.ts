/**
 * Runs in a worker thread: writes the agent's heartbeat to the registry every interval, whatever the
 * main thread is doing (a CPU-bound handler blocks the main event loop, not this one). Reads the main
 * loop's last tick from shared memory to report how long it has been blocked.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createRedis } from '@baton/platform';
import type { HeartbeatThreadData, MainToThread, ThreadToMain } from './heartbeat-protocol.js';

const data = workerData as HeartbeatThreadData;
const port = parentPort!;
const slots = new Float64Array(data.shared);
let record = { ...data.record };
let stopping = false;
let lastBeat = Date.now();

// A fail-fast connection of the same topology as the agent's (single, cluster or Sentinel): a failed
// beat is retried on the next tick, never queued.
const redis = createRedis(data.redis, 'command', data.connectionName);

/** Straight to fd 2: a worker thread's process.stderr goes through the main loop, which may be blocked. */
function warn(msg: string, fields: Record<string, unknown>): void {
  writeSync(2, `${JSON.stringify({ level: 40, time: new Date().toISOString(), name: 'heartbeat', agentId: record.id, msg, ...fields })}\n`);
}

/**
 * A beat is one `SET` of the record with a TTL of AGENT_RECORD_TTL_MS: the registry reads when Redis
 * took it from the TTL left (Redis counts it down by its own clock: engine registry.readBeats), so
 * liveness never compares two hosts' clocks and a beat needs no script or TIME call. `GET` returns the
 * record it replaces: a drain or restart the orchestrator marked on it (lua/flag-agent-command.lua)
 * reaches the agent that way, with no reader of its own.
 * When asked, the beat also refreshes the agent's registry index entry, scored with Redis's clock:
 * KEYS[1] the agent's record, KEYS[2] the registry index; ARGV[1] the record (a JSON object),
 * ARGV[2] its TTL (ms), ARGV[3] the agent id. Returns the replaced record.
 */
const INDEXED_BEAT_LUA = `
local t = redis.call('TIME')
local old = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET')
redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[3])
return old
`;
redis.defineCommand('batonIndexedBeat', { numberOfKeys: 2, lua: INDEXED_BEAT_LUA });
const indexedBeat = (redis as unknown as { batonIndexedBeat(k1: string, k2: string, json: string, ttl: number, id: string): Promise<string | null> }).batonIndexedBeat.bind(redis);

/**
 * A command marked on the record this beat replaced goes to the main thread (once: the beat replaced
 * the mark). Not on the first beat: the record it replaces is an earlier process's (same agent id),
 * and so is any mark on it (the control stream reader, too, starts after the messages sent before).
 */
let beaten = false;
function handOver(replaced: string | null): void {
  const first = !beaten;
  beaten = true;
  if (first || !replaced?.startsWith('{"control":')) return;
  try {
    const kind = (JSON.parse(replaced) as { control?: { kind?: unknown } }).control?.kind;
    if (kind === 'drain' || kind === 'restart') port.postMessage({ type: 'control', kind } satisfies ThreadToMain);
  } catch {
    warn('ignoring an unreadable command mark on the agent record', {});
  }
}

/** The main loop's silence past the bound: a last beat saying so, a log line, then SIGKILL. */
let killing = false;
function killWedged(blockedMs: number): void {
  if (killing) return;
  killing = true;
  warn('agent wedged: its event loop has been blocked past the bound; killing the process so it is replaced', {
    eventLoopBlockedMs: Math.round(blockedMs),
    wedgedExitMs: data.wedgedExitMs,
  });
  const kill = () => process.kill(process.pid, 'SIGKILL');
  // At most a second for the last beat: Redis may be part of the problem.
  setTimeout(kill, 1000).unref();
  void write().catch(() => undefined).finally(kill);
}

/**
 * A beat writes the record (its TTL is the liveness clock the registry reads) every time, and refreshes the agent's entry in the registry index only every INDEX_EVERY_MS or when its state
 * changed: one command per beat in the steady state.
 */
const INDEX_EVERY_MS = 30_000;
/** Task-set changes are written at most this often (state changes at once). */
const UPDATE_BEAT_MS = 250;
let indexedAt = 0;
let indexedState = '';

/** A beat, recording in shared memory whether Redis took it (the worker watchdog reads that). */
async function beat(): Promise<void> {
  try {
    await write();
    slots[1] = Date.now();
  } catch (e: unknown) {
    slots[2] = Date.now();
    if (!stopping) port.postMessage({ type: 'beatFailed' } satisfies ThreadToMain);
    throw e;
  }
}

async function write(): Promise<void> {
  const now = Date.now();
  const gap = now - lastBeat;
  if (gap > data.intervalMs * 2) warn('heartbeat thread itself was late', { gapMs: gap, intervalMs: data.intervalMs });
  lastBeat = now;
  const blocked = Math.max(0, now - (slots[0] ?? now) - data.tickMs * 2);
  record = { ...record, beatAt: new Date(now).toISOString(), eventLoopBlockedMs: Math.round(blocked) };
  const reindex = now - indexedAt >= INDEX_EVERY_MS || record.state !== indexedState;
  const state = record.state;
  const json = JSON.stringify(record);
  const replaced = reindex
    ? await indexedBeat(data.agentKey, data.agentsKey, json, data.ttlMs, record.id)
    : await redis.set(data.agentKey, json, 'PX', data.ttlMs, 'GET');
  if (!stopping) handOver(replaced);
  if (reindex) {
    indexedAt = now;
    indexedState = state;
  }
}

/** Watches the main loop's tick: past the bound, the process is killed (see killWedged). */
const watch =
  data.wedgedExitMs > 0
    ? setInterval(() => {
        const blocked = Date.now() - (slots[0] ?? Date.now()) - data.tickMs * 2;
        if (!stopping && blocked > data.wedgedExitMs) killWedged(blocked);
      }, Math.min(1000, Math.max(50, Math.floor(data.wedgedExitMs / 10))))
    : null;

const timer = setInterval(() => {
  if (!stopping) beat().catch(() => undefined);
}, data.intervalMs);

let updateTimer: NodeJS.Timeout | null = null;

port.on('message', (m: MainToThread) => {
  if (m.type === 'update') {
    record = { ...record, ...m.patch };
    if (m.patch.state !== undefined) {
      beat().catch(() => undefined);
    } else {
      updateTimer ??= setTimeout(() => {
        updateTimer = null;
        if (!stopping) beat().catch(() => undefined);
      }, UPDATE_BEAT_MS);
    }
  } else if (m.type === 'stop') {
    if (updateTimer) clearTimeout(updateTimer);
    stopping = true;
    clearInterval(timer);
    if (watch) clearInterval(watch);
    const done = m.remove
      ? redis.multi().del(data.agentKey).zrem(data.agentsKey, record.id).exec()
      : beat();
    void done
      .catch(() => undefined)
      .finally(() => {
        redis.disconnect();
        port.postMessage({ type: 'stopped' } satisfies ThreadToMain);
      });
  }
});

/** The agent is not "started" until it is in the registry: retry the first beat while Redis connects. */
async function firstBeat(): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await beat();
      return;
    } catch {
      if (Date.now() > deadline) return; // keep going; later beats will register it
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

void firstBeat().finally(() => port.postMessage({ type: 'started' } satisfies ThreadToMain));
