import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gitFailure, gitFor, resolveSecret, withWorkspace } from '@baton/agent-kit';
import { scaffoldSpec, type ScaffoldOutput } from '@baton/contracts';
import { defineAgent } from '@baton/runtime';
import type { ScaffoldConfig } from './config.js';
import { generateWithModel } from './generate-with-model.js';
import { prepareBranch, RUN_TRAILER } from './prepare-branch.js';
import { renderTemplate, templateVariables, type RenderedFile } from './render-template.js';
import { loadTemplate } from './template-catalogue.js';
import { writeNoFollow } from './write-no-follow.js';

const MAX_LISTED = 1000;

async function writeFiles(root: string, files: readonly RenderedFile[]): Promise<void> {
  for (const f of files) await writeNoFollow(root, f.path, f.content, f.executable);
}

/** The scaffold agent: renders a template into a new branch of the target repository and pushes it. */
export function createScaffoldAgent(config: ScaffoldConfig) {
  return defineAgent({
    ...scaffoldSpec,
    // The model generator's provider (BATON_MODEL_*); the template generator runs without one.
    model: { apiKey: (name, url) => resolveSecret(name, { kind: 'model', url }, config), required: false },
    async handler({ input, runId, stage, attempt, signal, log, progress, model }): Promise<ScaffoldOutput> {
      const branch = input.branch ?? `baton/${runId}`;
      return withWorkspace(config.workRoot, `${runId}-${stage}-a${attempt}`, { keepOnFailure: config.keepFailedWorkspaces, log }, async (ws) => {
        const byModel = input.generator === 'model';
        const template = byModel ? null : await loadTemplate(config.templatesDir, input.template!);
        let files = template ? await renderTemplate(template, templateVariables(template, { name: input.name, template: template.id, runId }, input.options ?? {})) : [];
        let paths = files.map((f) => f.path);
        let summary: string | undefined;
        if (template) progress({ percent: 20, message: `rendered ${files.length} files from ${template.id}` });
        const templateId = template?.id ?? 'model';

        const git = await gitFor(config, { ...input, url: input.repository }, signal, ws.dir);
        const repo = ws.path('repo');
        const base = await prepareBranch(git, { url: input.repository, branch, target: input.targetBranch, overwrite: input.overwrite, runId }, repo);
        const result = (commitSha: string, baseSha: string | null, replaced: string[], reused: boolean): ScaffoldOutput => ({
          repository: {
            url: input.repository,
            branch,
            sha: commitSha,
            ...(input.credentialRef ? { credentialRef: input.credentialRef } : {}),
            ...(input.username ? { username: input.username } : {}),
          },
          targetBranch: input.targetBranch,
          template: templateId,
          generator: input.generator,
          ...(summary ? { summary } : {}),
          baseSha,
          commitSha,
          filesCreated: paths.slice(0, MAX_LISTED),
          fileCount: paths.length,
          filesReplaced: replaced.slice(0, MAX_LISTED),
          reused,
        });
        if (base.kind === 'reused') {
          log.info({ branch, sha: base.sha }, 'this run already pushed its scaffold commit; reusing it');
          if (byModel) paths = (await git.must(['ls-tree', '-r', '--name-only', base.sha], repo)).split('\n').filter(Boolean);
          return result(base.sha, base.parent, [], true);
        }
        if (byModel) {
          // Only now, once the branch is known to need it: a retry that finds its commit pushed makes no call.
          progress({ percent: 10, message: 'asking the model for the project' });
          const generated = await generateWithModel(model, { name: input.name, requirements: input.requirements! });
          files = generated.files;
          paths = files.map((f) => f.path);
          summary = generated.summary;
          progress({ percent: 50, message: `the model wrote ${files.length} files` });
        }

        const replaced = base.kind === 'empty' ? [] : paths.filter((p) => existsSync(join(repo, ...p.split('/'))));
        await writeFiles(repo, files);
        await git.must(['add', '-A', '--', '.'], repo);
        const message = template
          ? `Scaffold ${input.name} from the ${template.id} template\n\n${RUN_TRAILER}: ${runId}\nBaton-Template: ${template.id}\n`
          : `Scaffold ${input.name} with ${model?.provider ?? 'a model'}/${model?.model ?? '?'}\n\n${summary ?? ''}\n\n${RUN_TRAILER}: ${runId}\nBaton-Generator: model\n`;
        await git.must(['commit', '-q', '--allow-empty', '--no-verify', '-m', message], repo);
        const commitSha = await git.must(['rev-parse', 'HEAD'], repo);
        progress({ percent: 70, message: `committed ${commitSha.slice(0, 12)}; pushing ${branch}` });

        const pushArgs = ['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`];
        const push = await git.run(pushArgs, repo);
        if (!push.ok) throw gitFailure(pushArgs, push, git.timeoutMs);
        log.info({ branch, sha: commitSha, files: files.length, base: base.kind }, 'scaffold pushed');
        return result(commitSha, base.kind === 'empty' ? null : base.sha, replaced, false);
      });
    },
  });
}
