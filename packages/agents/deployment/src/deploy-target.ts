import type { Git, Workspace } from '@baton/agent-kit';
import type { DeploymentInput, DeploymentOutput, HealthResult } from '@baton/contracts';
import type { TaskContext } from '@baton/runtime';
import type { HttpWaitResult } from '@baton/agent-kit';

/** Everything a target needs to release one commit. */
export interface DeployRequest {
  ctx: TaskContext<DeploymentInput>;
  /** The commit to release (resolved). */
  sha: string;
  git: Git;
  ws: Workspace;
  /** The service's own variables: NODE_ENV, the stage's env and its resolved secretEnv (no host variables). */
  appEnv: Record<string, string>;
}

/** A place services are released to. Each implementation builds, starts, health-checks and rolls back. */
export interface DeployTarget {
  deploy(req: DeployRequest): Promise<DeploymentOutput>;
}

export function healthOf(r: HttpWaitResult): HealthResult {
  return { ok: r.ok, status: r.status, attempts: r.attempts, elapsedMs: r.elapsedMs, ...(r.reason ? { reason: r.reason.slice(0, 2000) } : {}) };
}

/** The name of an app's service (PM2 process or container). */
export function serviceName(app: string): string {
  return `baton-svc-${app}`;
}
