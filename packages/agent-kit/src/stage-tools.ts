import type { ArtifactWriter } from '@baton/runtime';
import type { SdlcAgentConfig } from './agent-env.js';
import { npmEnv } from './child-env.js';
import { Git } from './git.js';
import { silentLog, type KitLog } from './kit-log.js';
import { redactingArtifacts } from './redacting-artifacts.js';
import { assertRepositoryAllowed } from './repo-policy.js';
import { gitCredential } from './secrets.js';
import type { StepContext } from './step.js';

/**
 * Git for one stage: the agent's identity and timeouts, the repository's credentials (if it names a
 * secret), the stage's signal. Refuses a local repository unless BATON_ALLOW_LOCAL_REPOS.
 */
export function gitFor(config: SdlcAgentConfig, ref: { url: string; credentialRef?: string | null | undefined; username?: string | null | undefined }, signal: AbortSignal, scratchDir: string): Promise<Git> {
  assertRepositoryAllowed(ref.url, config.allowLocalRepos);
  const credential = gitCredential(ref, config);
  return Git.create({
    env: config.childEnv,
    identity: config.gitIdentity,
    timeoutMs: config.gitTimeoutMs,
    signal,
    scratchDir,
    redact: Object.values(config.secrets),
    allowLocal: config.allowLocalRepos,
    ...(credential ? { credential } : {}),
  });
}

/** The step context for a project checkout: allowlisted env + npm cache settings + the stage's plain env. */
export function stepContextFor(
  config: SdlcAgentConfig,
  cwd: string,
  stage: { signal: AbortSignal; artifacts: ArtifactWriter; log: KitLog; output?: { write(text: string): void } },
  extraEnv: Readonly<Record<string, string>> = {},
): StepContext {
  return {
    cwd,
    env: { ...config.childEnv, ...npmEnv(config.npmCacheDir), CI: 'true', ...extraEnv },
    signal: stage.signal,
    artifacts: redactingArtifacts(stage.artifacts, Object.values(config.secrets)),
    log: stage.log,
    redact: Object.values(config.secrets),
    maxOutputBytes: config.maxOutputBytes,
    registry: config.processes,
    sandbox: config.sandbox,
    ...(stage.output ? { output: stage.output } : {}),
  };
}

/**
 * Kills what dead agents of this type left running on this host (an agent killed with -9 cannot
 * stop its child processes). Agents call it when they are created and before each stage.
 */
export function reapOrphans(config: SdlcAgentConfig, log: KitLog = silentLog): Promise<number> {
  return config.processes.reap(log).catch(() => 0);
}
