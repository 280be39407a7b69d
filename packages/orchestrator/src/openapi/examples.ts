import type { CreatedKey, CreateKeyRequest, PipelineDefinition, PipelineView, RunList, RunRequestInput, RunView } from '@baton/contracts';

/** Example bodies shown in the document (a test parses each with its schema, and Redocly checks them too). */
const RUN_ID = 'run_01J9ZK3Q7W5X8Y2N4M6P0R1S3T';
const AT = '2026-05-04T09:30:00.000Z';
const NO_RETRY = { maxAttempts: 1, backoff: { type: 'exponential', delayMs: 1000 } } as const;

export const runRequestExample: RunRequestInput = {
  pipeline: 'sdlc',
  input: { name: 'hello-baton', template: 'http-service', repository: 'file:///srv/git/hello-baton.git', targetBranch: 'main' },
  labels: { team: 'payments' },
};

export const runViewExample: RunView = {
  id: RUN_ID,
  status: 'running',
  pipeline: { name: 'build', version: 3 },
  input: { project: 'hello' },
  labels: { team: 'payments' },
  createdAt: AT,
  startedAt: '2026-05-04T09:30:00.040Z',
  finishedAt: null,
  updatedAt: '2026-05-04T09:30:01.250Z',
  error: null,
  createdBy: '4f1c2a9b7e3d',
  stages: [
    {
      name: 'plan',
      agent: 'noop',
      dependsOn: [],
      input: { echo: { $from: 'input.project' } },
      status: 'succeeded',
      attempts: 1,
      maxAttempts: 1,
      agentId: 'noop-host1-4242-a1b2',
      queuedAt: '2026-05-04T09:30:00.040Z',
      startedAt: '2026-05-04T09:30:00.052Z',
      finishedAt: '2026-05-04T09:30:01.200Z',
      durationMs: 1148,
      progress: { percent: 100 },
      output: { echo: 'hello' },
      error: null,
      waitingReason: null,
    },
    {
      name: 'build',
      agent: 'noop',
      dependsOn: ['plan'],
      input: { plan: { $from: 'stages.plan.output.echo' } },
      status: 'running',
      attempts: 1,
      maxAttempts: 3,
      agentId: 'noop-host1-4242-a1b2',
      queuedAt: '2026-05-04T09:30:01.210Z',
      startedAt: '2026-05-04T09:30:01.250Z',
      finishedAt: null,
      durationMs: null,
      progress: { percent: 40, message: 'compiling' },
      output: null,
      error: null,
      waitingReason: null,
    },
  ],
};

export const runListExample: RunList = {
  items: [{ id: RUN_ID, status: 'running', pipeline: runViewExample.pipeline, labels: runViewExample.labels, createdAt: AT, startedAt: runViewExample.startedAt, finishedAt: null, updatedAt: runViewExample.updatedAt, error: null, createdBy: runViewExample.createdBy }],
  nextCursor: 'cnVuXzAxSjlaSzNRN1c1WDhZMk40TTZQMFIxUzNU',
};

/** Every field given, so the example fits the request (defaults optional) and the response (defaults filled in) alike. */
export const pipelineDefinitionExample: PipelineDefinition = {
  description: 'plan, then build and lint in parallel',
  stages: [
    { name: 'plan', agent: 'noop', dependsOn: [], input: { echo: { $from: 'input.project' } }, timeoutMs: 300000, retry: NO_RETRY, onFailure: 'fail-run' },
    {
      name: 'build',
      agent: 'noop',
      dependsOn: ['plan'],
      input: { plan: { $from: 'stages.plan.output.echo' } },
      timeoutMs: 60000,
      retry: { maxAttempts: 3, backoff: { type: 'exponential', delayMs: 1000 } },
      onFailure: 'fail-run',
    },
    { name: 'lint', agent: 'noop', dependsOn: ['plan'], input: {}, timeoutMs: 300000, retry: NO_RETRY, onFailure: 'continue' },
  ],
};

export const pipelineViewExample: PipelineView = {
  name: 'build',
  version: 3,
  createdAt: AT,
  definition: {
    stages: [
      {
        name: 'plan',
        agent: 'noop',
        dependsOn: [],
        input: { echo: { $from: 'input.project' } },
        timeoutMs: 300000,
        retry: NO_RETRY,
        onFailure: 'fail-run',
      },
    ],
  },
};

export const createKeyRequestExample: CreateKeyRequest = { name: 'ci-pipeline', role: 'submitter', expiresAt: '2026-08-01T00:00:00.000Z' };

export const createdKeyExample: CreatedKey = {
  id: '4f1c2a9b7e3d',
  name: 'ci-pipeline',
  role: 'submitter',
  createdAt: AT,
  createdBy: '0a1b2c3d4e5f',
  expiresAt: '2026-08-01T00:00:00.000Z',
  revokedAt: null,
  lastUsedAt: null,
  key: 'bk_4f1c2a9b7e3d_Qm9vdHN0cmFwLWV4YW1wbGUta2V5LWRvLW5vdC11c2U',
};
