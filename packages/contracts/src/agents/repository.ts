import { z } from 'zod';

/** True when a URL carries a password or token in its user-info part (`https://user:token@host/...`). */
function hasPassword(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url);
  return Boolean(m?.[1]?.includes(':'));
}

/**
 * A git remote: a local path or `file://` URL (tests, the dev stack), or any URL git understands
 * (`https://`, `ssh://`, `git@host:path`). Credentials never go in the URL: name an env var instead
 * (`credentialRef`).
 */
export const RepositoryUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => !/[\s\0]/.test(u), 'no whitespace or NUL characters')
  .refine((u) => !u.startsWith('-'), 'must not start with "-"')
  .refine((u) => !hasPassword(u), 'do not put credentials in the URL; set credentialRef to the name of a BATON_SECRET_* variable instead');
export type RepositoryUrl = z.infer<typeof RepositoryUrl>;

/** A branch name git accepts (a conservative subset of `git check-ref-format --branch`). */
export const GitBranch = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, 'letters, digits, ".", "_", "/" and "-"')
  .refine((b) => !b.startsWith('-') && !b.startsWith('/') && !b.endsWith('/') && !b.endsWith('.lock') && !b.endsWith('.'), 'not a valid branch name')
  .refine((b) => !b.includes('..') && !b.includes('//') && !b.includes('/.') && !b.startsWith('.'), 'not a valid branch name');
export type GitBranch = z.infer<typeof GitBranch>;

/** A full commit id (SHA-1 or SHA-256). */
export const CommitSha = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'a full lowercase commit SHA');
export type CommitSha = z.infer<typeof CommitSha>;

/**
 * The NAME of an agent environment variable holding a secret (never the secret itself). Only
 * variables prefixed `BATON_SECRET_` can be referenced, so a payload cannot read the agent's own
 * configuration (REDIS_PASSWORD, ...).
 */
export const SecretRef = z
  .string()
  .regex(/^BATON_SECRET_[A-Z0-9_]{1,64}$/, 'the name of a BATON_SECRET_* environment variable')
  .refine((s) => !s.endsWith('_SCOPE'), 'a *_SCOPE variable declares a secret\'s scope; it is not a secret');
export type SecretRef = z.infer<typeof SecretRef>;

/**
 * The hand-off between SDLC stages: a repository URL, a branch and the exact commit. Every stage
 * fetches that commit into its own scratch directory; agents never share a filesystem.
 */
export const RepoRef = z
  .object({
    url: RepositoryUrl,
    /** null when the stage was given a bare commit. */
    branch: GitBranch.nullable(),
    sha: CommitSha,
    /** Env var (on the agents) holding a token/password for `url`; `username` defaults to "git". */
    credentialRef: SecretRef.nullable().optional(),
    username: z.string().max(200).nullable().optional(),
  })
  .strict();
export type RepoRef = z.infer<typeof RepoRef>;

/** What a stage accepts: a RepoRef, or a branch whose current head the stage resolves (sha null/absent). */
export const RepoTarget = z
  .object({
    url: RepositoryUrl,
    branch: GitBranch.nullable().optional(),
    sha: CommitSha.nullable().optional(),
    credentialRef: SecretRef.nullable().optional(),
    username: z.string().max(200).nullable().optional(),
  })
  .strict()
  .refine((r) => Boolean(r.branch) || Boolean(r.sha), { message: 'give a branch, a sha, or both', path: ['branch'] });
export type RepoTarget = z.infer<typeof RepoTarget>;

/** A shell command line run with `/bin/sh -c` in the checkout. */
export const CommandLine = z.string().min(1).max(4000);
export type CommandLine = z.infer<typeof CommandLine>;

/** `auto`: install when the project has a lockfile or declares dependencies; `always`; `never`. */
export const InstallMode = z.enum(['auto', 'always', 'never']);
export type InstallMode = z.infer<typeof InstallMode>;

/** Non-secret environment for the project's commands (names are checked; values are plain text). */
export const PlainEnv = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name'), z.string().max(4096))
  .refine((e) => Object.keys(e).length <= 64, 'at most 64 variables');
export type PlainEnv = z.infer<typeof PlainEnv>;

/** Environment variables for the project filled from BATON_SECRET_* variables of the agent: `{ DB_PASSWORD: "BATON_SECRET_DB" }`. */
export const SecretEnv = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), SecretRef)
  .refine((e) => Object.keys(e).length <= 32, 'at most 32 variables');
export type SecretEnv = z.infer<typeof SecretEnv>;

/** A project lifecycle step as the agents report it. */
export const StepStatus = z.enum(['passed', 'failed', 'timed-out', 'skipped']);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepReport = z.object({
  name: z.string(),
  command: z.string().nullable(),
  status: StepStatus,
  exitCode: z.int().nullable(),
  durationMs: z.int().nonnegative(),
  /** Why the step was skipped, or how it failed. */
  reason: z.string().max(2000).optional(),
  /** Artifact id of the captured output. */
  log: z.string().nullable(),
  /** What the agent noticed but did not fail on (e.g. the project wants another Node version). */
  warnings: z.array(z.string().max(2000)).max(20).optional(),
});
export type StepReport = z.infer<typeof StepReport>;
