import { ChaosStack, type AgentProcess } from '../stack.js';
import { sleep } from '../stats.js';

export const MODEL_AGENTS = 3;
export const MODEL_LOCK_MS = 3000;

/**
 * Agent settings of the model stack: small locks, as the battery uses. The stalled limit stays at its
 * default (5): with it raised, a stage that blocks its event loop past the lock on every attempt is
 * re-executed forever (an early model run saw 129 executions of one attempt).
 */
export const MODEL_AGENT_ENV = {
  BATON_AGENT_CONCURRENCY: '2',
  BATON_LOCK_DURATION_MS: String(MODEL_LOCK_MS),
};

/**
 * The stack every model sequence shares: one Redis (AOF everysec), two orchestrators, three noop
 * agents writing the ledger. Sequences keep apart by run id; `heal()` brings the stack back to full
 * strength between sequences (a sequence may have killed anything).
 */
export class ModelStack {
  private constructor(readonly stack: ChaosStack) {}

  static async start(logDir: string | null): Promise<ModelStack> {
    // fsync on every write: an acknowledged run survives kill -9 of Redis (Redis 7.0 has no WAITAOF for everysec).
    const stack = await ChaosStack.start({ label: 'model', logDir, redisArgs: ['--appendfsync', 'always'] });
    const m = new ModelStack(stack);
    await m.heal();
    return m;
  }

  /** Restarts whatever is down: Redis, either orchestrator, missing agents. */
  async heal(): Promise<void> {
    await Promise.all([0, 1].filter((slot) => !this.stack.orchestratorUp(slot)).map((slot) => this.stack.startOrchestrator(slot)));
    const missing = MODEL_AGENTS - this.stack.liveAgents().length;
    await Promise.all(Array.from({ length: Math.max(0, missing) }, () => this.stack.startAgent(MODEL_AGENT_ENV)));
  }

  /** The n-th live agent (modulo), or null when none is alive. */
  agent(n: number): AgentProcess | null {
    const live = this.stack.liveAgents().sort((a, b) => a.id.localeCompare(b.id));
    return live.length === 0 ? null : live[n % live.length]!;
  }

  /** A live orchestrator's URL, waiting (up to 60 s) for one when a restart is under way. */
  async url(n = 0): Promise<string> {
    for (let i = 0; i < 600; i++) {
      const live = this.stack.liveOrchestrators();
      if (live.length > 0) return live[n % live.length]!.url;
      await sleep(100);
    }
    throw new Error('no orchestrator came back within 60 s');
  }

  close(keepLogs: boolean): Promise<string | null> {
    return this.stack.close(keepLogs);
  }
}
