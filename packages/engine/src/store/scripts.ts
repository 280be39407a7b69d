import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '@baton/platform';

const LUA_DIR = new URL('../../lua/', import.meta.url);
const include = readFileSync(new URL('apply-ops.include.lua', LUA_DIR), 'utf8');

const createOne = readFileSync(new URL('create-one.include.lua', LUA_DIR), 'utf8');

function load(name: string, ...more: string[]): string {
  return [include, ...more, readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8')].join('\n');
}

const SCRIPTS = {
  batonCreateRun: load('create-run', createOne),
  batonCreateRuns: load('create-runs', createOne),
  batonCommitRun: load('commit-run-transition'),
  batonDeleteRun: load('delete-run'),
  batonPutPipeline: load('put-pipeline'),
  batonTakeBackJob: readFileSync(new URL('take-back-job.lua', LUA_DIR), 'utf8'),
  batonRemoveFinishedJob: readFileSync(new URL('remove-finished-job.lua', LUA_DIR), 'utf8'),
  batonRenewLease: readFileSync(new URL('renew-lease.lua', LUA_DIR), 'utf8'),
  batonReleaseStaleSlot: load('release-stale-slot'),
  batonFlagAgentCommand: readFileSync(new URL('flag-agent-command.lua', LUA_DIR), 'utf8'),
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptClient = RedisClient & Record<ScriptName, (numKeys: number, ...args: (string | number)[]) => Promise<unknown>>;

/** Registers Baton's Lua scripts on a connection (EVALSHA with automatic fallback to EVAL). */
export function withScripts(redis: RedisClient): ScriptClient {
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { lua });
  }
  return redis as ScriptClient;
}

/** Queues a script call on a pipeline of a connection the scripts are registered on (see withScripts). */
export function pipeScript(pipe: ChainableCommander, name: ScriptName, keys: string[], args: (string | number)[]): void {
  (pipe as unknown as Record<ScriptName, (numKeys: number, ...a: (string | number)[]) => void>)[name](keys.length, ...keys, ...args);
}

/** Calls a script with keys and args, as `numKeys, ...keys, ...args`. */
export function callScript(redis: RedisClient, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  return withScripts(redis)[name](keys.length, ...keys, ...args);
}
