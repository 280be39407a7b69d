import { z } from 'zod';
import { agentSpec } from './spec.js';
import { CommandLine, CommitSha, InstallMode, PlainEnv, RepoTarget, SecretEnv, StepReport } from './repository.js';
import { ProjectName } from './scaffold.js';

export const DeployTargetKind = z.enum(['local', 'docker']);
export type DeployTargetKind = z.infer<typeof DeployTargetKind>;

export const DeploymentInput = z
  .object({
    /** The commit to release (integration's merge commit). */
    repository: RepoTarget,
    /** The service name: one PM2 process (or container) per app. */
    app: ProjectName,
    target: DeployTargetKind.default('local'),
    /** Port the service listens on (PORT); null/absent: one picked at the first deploy and kept. */
    port: z.int().min(1024).max(65_535).nullable().optional(),
    /** Must answer 2xx; null: the service is healthy when `GET /` answers anything below 500. */
    healthPath: z.string().max(2000).regex(/^\/\S*$/).nullable().default('/health'),
    /** How long the new release gets to answer on its health URL before it is rolled back. */
    healthTimeoutMs: z.int().min(500).max(600_000).default(30_000),
    install: InstallMode.default('auto'),
    installCommand: CommandLine.nullable().optional(),
    installTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    /** Absent: the package.json `build` script when there is one; null: no build. */
    build: CommandLine.nullable().optional(),
    buildTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    /** Absent: the package.json `start` script. */
    start: CommandLine.optional(),
    env: PlainEnv.default({}),
    /** Service variables filled from the agent's BATON_SECRET_* variables (never in payloads or logs). */
    secretEnv: SecretEnv.default({}),
    /** Releases kept on disk (the active and the previous one always are). */
    keepReleases: z.int().min(2).max(50).default(5),
    /** When the new release is unhealthy and was rolled back: fail the stage (default) or succeed with rolledBack: true. */
    failOnRollback: z.boolean().default(true),
  })
  .strict();
export type DeploymentInput = z.infer<typeof DeploymentInput>;

export const HealthResult = z.object({
  ok: z.boolean(),
  /** Last HTTP status seen (null: no answer). */
  status: z.int().nullable(),
  attempts: z.int().nonnegative(),
  elapsedMs: z.int().nonnegative(),
  reason: z.string().max(2000).optional(),
});
export type HealthResult = z.infer<typeof HealthResult>;

export const DeploymentOutput = z.object({
  target: DeployTargetKind,
  app: ProjectName,
  /** The release built for this stage (its commit SHA). */
  releaseId: z.string(),
  sha: CommitSha,
  /** The service's base URL. */
  url: z.string(),
  /** The new release's health check. */
  health: HealthResult,
  rolledBack: z.boolean(),
  rollbackReason: z.string().max(2000).nullable(),
  /** The release that served before this stage (null: first deploy). */
  previousRelease: z.string().nullable(),
  /** The release serving now (the previous one after a rollback). */
  activeRelease: z.string().nullable(),
  /** Releases kept on disk after pruning, newest first. */
  releases: z.array(z.string()),
  steps: z.array(StepReport),
});
export type DeploymentOutput = z.infer<typeof DeploymentOutput>;

export const deploymentSpec = agentSpec({
  type: 'deployment',
  description: 'Releases a commit to a target (local: release dirs + PM2; docker), health-checks it and rolls back on failure',
  input: DeploymentInput,
  output: DeploymentOutput,
  concurrency: 1,
});
