import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, redisTargetEnv } from '@baton/platform';
import type { TestRedisTarget } from './in-process.js';
import { waitFor } from './wait-for.js';

/** Repository root (this file is packages/testing/{src,dist}/processes.*). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const ENTRYPOINTS = {
  orchestrator: 'packages/orchestrator/dist/main.js',
  cli: 'packages/cli/dist/main.js',
  noop: 'packages/agents/noop/dist/main.js',
  scaffold: 'packages/agents/scaffold/dist/main.js',
  validation: 'packages/agents/validation/dist/main.js',
  e2e: 'packages/agents/e2e/dist/main.js',
  integration: 'packages/agents/integration/dist/main.js',
  deployment: 'packages/agents/deployment/dist/main.js',
  llm: 'packages/agents/llm/dist/main.js',
} as const;

/** A Baton process started from the build (dist), as production runs it. */
export interface BatonProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed (stdout + stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnBaton(entry: string, env: Record<string, string>): BatonProcess {
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (b: Buffer) => {
    out += b.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid!,
    child,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface OrchestratorProcess extends BatonProcess {
  url: string;
  port: number;
}

/**
 * The environment that points a child process at `target` (a URL, or a cluster / Sentinel config).
 * Every topology variable is set, empty ones meaning "unset", so the test runner's own REDIS_URL never leaks in.
 */
export function redisEnv(target: TestRedisTarget): Record<string, string> {
  const unset = { REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_SENTINELS: '', REDIS_SENTINEL_NAME: '' };
  if (typeof target === 'string') return { ...unset, REDIS_URL: target };
  return {
    ...unset,
    ...redisTargetEnv(target),
    ...(target.username ? { REDIS_USERNAME: target.username } : {}),
    ...(target.password ? { REDIS_PASSWORD: target.password } : {}),
  };
}

/** Starts `node packages/orchestrator/dist/main.js` and waits until /ready answers 200. */
export async function spawnOrchestrator(redisUrl: TestRedisTarget, namespace: string, env: Record<string, string> = {}, port?: number): Promise<OrchestratorProcess> {
  const p = port ?? (await freePort());
  const proc = spawnBaton(ENTRYPOINTS.orchestrator, {
    ...redisEnv(redisUrl),
    BATON_NAMESPACE: namespace,
    BATON_HOST: '127.0.0.1',
    BATON_PORT: String(p),
    BATON_SWEEP_INTERVAL_MS: '200',
    BATON_RECONCILE_INTERVAL_MS: '300',
    BATON_REPAIR_GRACE_MS: '1000',
    BATON_AUTH: 'disabled',
    BATON_RATE_LIMIT_MAX: '1000000',
    ...env,
  });
  const url = `http://127.0.0.1:${p}`;
  await untilReady(proc, 'orchestrator', async () => (await fetch(`${url}/ready`)).ok);
  return Object.assign(proc, { url, port: p });
}

/** Starts an agent process and waits for its "agent ready" log line. */
export async function spawnAgent(entry: string, redisUrl: TestRedisTarget, namespace: string, env: Record<string, string> = {}): Promise<BatonProcess> {
  const proc = spawnBaton(entry, {
    ...redisEnv(redisUrl),
    BATON_NAMESPACE: namespace,
    BATON_HEARTBEAT_MS: '200',
    BATON_LOCK_DURATION_MS: '3000',
    BATON_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
    ...env,
  });
  await untilReady(proc, 'agent', async () => proc.output().includes('"msg":"agent ready"'));
  return proc;
}

/** Waits for a started process to be ready; kills it (and says why) when it exits or never gets there. */
async function untilReady(proc: BatonProcess, what: string, ready: () => Promise<boolean>): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`${what} exited: ${proc.output().slice(-2000)}`);
        return ready();
      },
      { what: `${what} ready`, timeoutMs: 60_000 },
    );
  } catch (e: unknown) {
    await proc.kill('SIGKILL');
    throw e;
  }
}
