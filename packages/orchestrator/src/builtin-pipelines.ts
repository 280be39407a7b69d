import { DEFAULT_GATES, type PipelineDefinitionInput } from '@baton/contracts';

const minutes = (n: number) => n * 60_000;

/** Where the run's code is, for stages fed from the run input (the `ci` pipeline). */
const INPUT_REPOSITORY = {
  url: { $from: 'input.repository' },
  branch: { $from: 'input.branch', default: 'main' },
  sha: { $from: 'input.sha', default: null },
  credentialRef: { $from: 'input.credentialRef', default: null },
};

const SDLC_GATES = [...DEFAULT_GATES, { check: 'coverage.lines >= 80', severity: 'warning' }];

/**
 * validation → e2e → integration → deployment, from the stage named `source`'s repository output.
 * `healthPath` is the default health route: `/health` for scaffolded services, null (the app
 * answering `GET /` below 500) for existing repositories, which may have none.
 */
function ciStages(source: { stage: string; input?: never } | { input: true; stage?: never }, healthPath: string | null): PipelineDefinitionInput['stages'] {
  const repo = source.input ? INPUT_REPOSITORY : { $from: `stages.${source.stage}.output.repository` };
  const deps = source.input ? [] : [source.stage];
  return [
    {
      name: 'validation',
      agent: 'validation',
      dependsOn: deps,
      timeoutMs: minutes(15),
      input: { repository: repo, gates: { $from: 'input.gates', default: SDLC_GATES }, commands: { $from: 'input.commands', default: {} } },
    },
    {
      name: 'e2e',
      agent: 'e2e',
      dependsOn: ['validation'],
      timeoutMs: minutes(10),
      input: {
        repository: { $from: 'stages.validation.output.repository' },
        checks: { $from: 'input.checks', default: null },
        start: { readyPath: { $from: 'input.healthPath', default: healthPath } },
      },
    },
    {
      name: 'integration',
      agent: 'integration',
      dependsOn: ['e2e'],
      timeoutMs: minutes(10),
      input: {
        repository: { $from: 'stages.validation.output.repository' },
        targetBranch: { $from: 'input.targetBranch', default: 'main' },
        strategy: { $from: 'input.mergeStrategy', default: 'none' },
        postMerge: { command: { $from: 'input.postMergeCommand', default: null } },
      },
    },
    // Optional, off by default: with input `requireProductionApproval: true` an operator approves
    // the deployment first (README, "Approval stages"); otherwise this stage is skipped and the
    // deployment runs anyway (`onUpstreamSkipped: run`).
    {
      name: 'production-approval',
      dependsOn: ['integration'],
      when: 'has(input.requireProductionApproval) && input.requireProductionApproval == true',
      approval: {
        message: 'Deploy {{ input.name }} ({{ stages.integration.output.mergeSha }}) to production?',
        approvers: { roles: ['operator'], keyIds: [] },
      },
    },
    {
      name: 'deployment',
      agent: 'deployment',
      dependsOn: ['integration', 'production-approval'],
      onUpstreamSkipped: 'run',
      timeoutMs: minutes(15),
      input: {
        repository: { $from: 'stages.integration.output.repository' },
        app: { $from: 'input.name' },
        target: { $from: 'input.deployTarget', default: 'local' },
        port: { $from: 'input.port', default: null },
        healthPath: { $from: 'input.healthPath', default: healthPath },
      },
    },
  ];
}

/** Pipelines registered at start-up (a new version only when the definition changed). */
export const BUILTIN_PIPELINES: Record<string, PipelineDefinitionInput> = {
  demo: {
    description: 'A small DAG of noop stages: plan, then build and lint in parallel, then package',
    stages: [
      { name: 'plan', agent: 'noop', input: { ms: 600, echo: { project: { $from: 'input.project', default: 'hello-baton' } } } },
      { name: 'build', agent: 'noop', dependsOn: ['plan'], input: { ms: 1500, echo: { plan: { $from: 'stages.plan.output.echo' } } } },
      { name: 'lint', agent: 'noop', dependsOn: ['plan'], input: { ms: 900, echo: { checked: { $from: 'stages.plan.output.echo.project' } } } },
      {
        name: 'package',
        agent: 'noop',
        dependsOn: ['build', 'lint'],
        input: { ms: 600, echo: { artifact: { $from: 'stages.build.output.echo.plan.project' }, lint: { $from: 'stages.lint.output.echo' } } },
      },
    ],
  },
  sdlc: {
    description: 'A project request to a deployed service: scaffold → validation → e2e → integration → deployment. Input: { name, template, repository, targetBranch }',
    stages: [
      {
        name: 'scaffold',
        agent: 'scaffold',
        timeoutMs: minutes(5),
        retry: { maxAttempts: 2, backoff: { type: 'exponential', delayMs: 2000 } },
        input: {
          name: { $from: 'input.name' },
          template: { $from: 'input.template', default: 'ts-http-service' },
          options: { $from: 'input.options', default: {} },
          repository: { $from: 'input.repository' },
          credentialRef: { $from: 'input.credentialRef', default: null },
          targetBranch: { $from: 'input.targetBranch', default: 'main' },
          branch: { $from: 'input.branch', default: null },
          overwrite: { $from: 'input.overwrite', default: false },
        },
      },
      ...ciStages({ stage: 'scaffold' }, '/health'),
    ],
  },
  ci: {
    description: 'An existing repository branch to a deployed service: validation → e2e → integration → deployment. Input: { name, repository, branch, sha?, targetBranch }',
    stages: ciStages({ input: true }, null),
  },
};
