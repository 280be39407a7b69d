import { z } from 'zod';
import { agentSpec } from './spec.js';
import { CommitSha, GitBranch, RepoRef, RepositoryUrl, SecretRef } from './repository.js';

/** A project name: also its package name, service name and PM2 process name. */
export const ProjectName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", starting with a letter, at most 63 characters');
export type ProjectName = z.infer<typeof ProjectName>;

export const TemplateId = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a template id such as "ts-http-service"');
export type TemplateId = z.infer<typeof TemplateId>;

export const TemplateOptions = z
  .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/), z.union([z.string().max(500), z.number(), z.boolean()]))
  .refine((o) => Object.keys(o).length <= 32, 'at most 32 options');
export type TemplateOptions = z.infer<typeof TemplateOptions>;

/** The scaffold agent: renders a project from the template catalogue and commits it to a branch. */
export const ScaffoldGenerator = z.enum(['template', 'model']);

export const ScaffoldInput = z
  .object({
    name: ProjectName,
    /** `template`: render `template` from the catalogue; `model`: ask the configured model to write the project from `requirements`. */
    generator: ScaffoldGenerator.default('template'),
    /** Required by the template generator; the model generator does not use it. */
    template: TemplateId.optional(),
    /** What the project must do (the model generator's prompt). */
    requirements: z.string().min(1).max(100_000).nullable().optional(),
    /** Template variables (each template declares which it accepts, with defaults). */
    options: TemplateOptions.nullable().default({}),
    repository: RepositoryUrl,
    /** Env var (on the agents) holding a token for `repository`; every later stage gets the same reference. */
    credentialRef: SecretRef.nullable().optional(),
    username: z.string().max(200).nullable().optional(),
    /** The branch the work starts from and is later merged into (created by integration if absent). */
    targetBranch: GitBranch.default('main'),
    /** The branch to commit to (default `baton/<run id>`). */
    branch: GitBranch.nullable().optional(),
    /** Commit on top of a branch that already exists (otherwise the stage refuses: BRANCH_NOT_EMPTY). */
    overwrite: z.boolean().default(false),
  })
  .strict()
  .superRefine((i, ctx) => {
    if (i.generator === 'template' && i.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: 'the template generator needs "template"' });
    if (i.generator === 'model' && !i.requirements) ctx.addIssue({ code: 'custom', path: ['requirements'], message: 'the model generator needs "requirements"' });
  });
export type ScaffoldInput = z.infer<typeof ScaffoldInput>;

export const ScaffoldOutput = z.object({
  /** The commit to hand on: URL, branch and SHA. */
  repository: RepoRef,
  targetBranch: GitBranch,
  /** The template rendered, or "model" for the model generator. */
  template: TemplateId,
  /** Which generator wrote the files (absent from results of agents before it existed). */
  generator: ScaffoldGenerator.optional(),
  /** The model generator's own account of what it built. */
  summary: z.string().max(4000).optional(),
  /** The target branch head the new branch starts from; null when the target branch does not exist yet. */
  baseSha: CommitSha.nullable(),
  commitSha: CommitSha,
  /** Paths written, relative to the repository root (at most 1000 listed). */
  filesCreated: z.array(z.string()).max(1000),
  fileCount: z.int().nonnegative(),
  /** Paths that already existed on the base commit and now hold the template's version. */
  filesReplaced: z.array(z.string()).max(1000),
  /** True when this run's commit was already on the branch (a retried attempt that had pushed). */
  reused: z.boolean(),
});
export type ScaffoldOutput = z.infer<typeof ScaffoldOutput>;

export const scaffoldSpec = agentSpec({
  type: 'scaffold',
  description: 'Generates a project from a template, commits it to a new branch and pushes it',
  input: ScaffoldInput,
  output: ScaffoldOutput,
  concurrency: 2,
});
