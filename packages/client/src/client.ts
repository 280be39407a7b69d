import type {
  AgentCommandAccepted,
  AgentList,
  ApiKeyList,
  ApiKeyView,
  ArtifactList,
  AuditList,
  JsonValue,
  SignalResult,
  BulkRunRequestInput,
  BulkRunResponse,
  ForkRequest,
  StageLogEntry,
  StageLogPage,
  CreatedKey,
  CreateKeyRequest,
  FleetDrain,
  Health,
  PipelineDefinitionInput,
  PipelineList,
  PipelineView,
  QueueList,
  QueueThroughput,
  Overview,
  QueueView,
  Ready,
  RunChanges,
  RunEvent,
  RunList,
  RunListQuery,
  RunRequestInput,
  RunSummary,
  RunView,
  SessionCreated,
  Whoami,
  TriggerList,
  TriggerDetail,
  TriggerView,
  ScheduleList,
  ScheduleView,
  NotificationList,
  NotificationView,
  NotificationDelivery,
  NotificationDeliveryList,
} from '@baton/contracts';
import { BatonApiError } from './errors.js';
import { OPERATIONS, pathOf, type OperationId } from './operations.js';
import { itemsOf, pagesOf } from './pages.js';
import { eventStream, type StreamOptions } from './streams.js';
import { Transport, type Call, type TransportOptions } from './transport.js';

export type BatonClientOptions = TransportOptions;

/** Query of GET /v1/runs (every field optional; `limit` 1–200, default 50). */
export type RunQuery = Partial<RunListQuery>;

/** One event of a followed run, with its stream id (pass it back as `lastEventId` to resume after it). */
export interface FollowedEvent {
  id: string;
  event: RunEvent;
}

/** One doorbell of GET /v1/runs/changes: `hello` on every (re)connect, `changed` naming runs. */
export type RunChangesEvent = { type: 'hello' } | { type: 'changed'; changes: RunChanges };

const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['run.succeeded', 'run.failed', 'run.cancelled'] satisfies RunEvent['type'][]);

function randomKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

type Options = Omit<Call, 'method' | 'path'> & { params?: Record<string, string> };

/**
 * The Baton API from code: every route, typed from the zod contracts (`@baton/contracts`, types
 * only), over fetch, with no runtime dependency — the same module runs in Node ≥ 20 and browsers.
 */
export class BatonClient {
  readonly transport: Transport;

  constructor(opts: BatonClientOptions = {}) {
    this.transport = new Transport(opts);
  }

  /** Calls an operation by its operationId (the typed methods below all go through here). */
  call<T>(op: OperationId, opts: Options = {}): Promise<T> {
    const { params, ...call } = opts;
    return this.transport.json<T>({ method: OPERATIONS[op][0], path: pathOf(op, params), ...call });
  }

  private stream(op: OperationId, params: Record<string, string>, opts: StreamOptions, isEnd?: Parameters<typeof eventStream>[3]) {
    return eventStream(this.transport, pathOf(op, params), opts, isEnd);
  }

  /** GET /health: the process is up (no Redis involved). */
  health(opts: Options = {}): Promise<Health> {
    return this.call('getHealth', opts);
  }

  /** GET /ready: 200 and 503 are both answers here (`status` says which). */
  ready(opts: Options = {}): Promise<Ready> {
    return this.call('getReadiness', { retry: false, accept: [503], ...opts });
  }

  readonly runs = {
    /**
     * Submits a run. Without an `idempotencyKey` a random one is sent, so the 503 retries can never
     * create two runs; pass your own to make resubmitting from your side safe too.
     */
    submit: (request: RunRequestInput, opts: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<RunView> =>
      this.call('submitRun', { body: request, headers: { 'idempotency-key': opts.idempotencyKey ?? randomKey() }, ...(opts.signal ? { signal: opts.signal } : {}) }),
    get: (id: string): Promise<RunView> => this.call('getRun', { params: { id } }),
    /** One page, newest first. */
    list: (query: RunQuery = {}): Promise<RunList> => this.call('listRuns', { query }),
    /** Every page, newest first (an async iterator: `for await (const page of baton.runs.pages())`). */
    pages: (query: RunQuery = {}): AsyncGenerator<RunList> => pagesOf((cursor) => this.runs.list({ ...query, cursor }), query.cursor),
    /** Every run across pages, newest first. */
    all: (query: RunQuery = {}): AsyncGenerator<RunSummary> => itemsOf(this.runs.pages(query)),
    cancel: (id: string, body: { reason?: string } = {}): Promise<RunView> => this.call('cancelRun', { params: { id }, body }),
    pause: (id: string): Promise<RunView> => this.call('pauseRun', { params: { id } }),
    resume: (id: string): Promise<RunView> => this.call('resumeRun', { params: { id } }),
    /** Re-runs from `fromStage` (default: the failed stages), keeping upstream outputs. */
    retry: (id: string, body: { fromStage?: string } = {}): Promise<RunView> => this.call('retryRun', { params: { id }, body }),
    /** A new run of the same pipeline version from `fromStage`, upstream stages copied with their recorded outputs (or overrides). */
    fork: (id: string, body: ForkRequest): Promise<RunView> => this.call('forkRun', { params: { id }, body }),
    /**
     * Cancels / retries every run a filter matches (`dryRun: true` only counts). Pass an
     * `idempotencyKey` to make repeating the call resume it: nothing is acted on twice.
     */
    bulkCancel: (body: BulkRunRequestInput, opts: { idempotencyKey?: string } = {}): Promise<BulkRunResponse> =>
      this.call('bulkCancelRuns', { body, ...(opts.idempotencyKey ? { headers: { 'idempotency-key': opts.idempotencyKey } } : {}) }),
    bulkRetry: (body: BulkRunRequestInput, opts: { idempotencyKey?: string } = {}): Promise<BulkRunResponse> =>
      this.call('bulkRetryRuns', { body, ...(opts.idempotencyKey ? { headers: { 'idempotency-key': opts.idempotencyKey } } : {}) }),
    /** A page of a stage dispatch's live log (`after`: the last entry id read; default: the current dispatch). */
    logs: (id: string, stage: string, query: { dispatch?: number; after?: string; limit?: number } = {}): Promise<StageLogPage> =>
      this.call('getStageLogPage', { params: { id, stage }, query }),
    /** The live log as it is written, until the dispatch ends (reconnects with Last-Event-ID: nothing lost or repeated). */
    followLogs: (id: string, stage: string, opts: StreamOptions & { dispatch?: number } = {}): AsyncGenerator<StageLogEntry> => this.followStageLogs(id, stage, opts),
    approve: (id: string, stage: string, body: { comment?: string } = {}): Promise<RunView> => this.call('approveStage', { params: { id, stage }, body }),
    reject: (id: string, stage: string, body: { comment?: string } = {}): Promise<RunView> => this.call('rejectStage', { params: { id, stage }, body }),
    /** Sends a signal: the run's stages waiting for `name` succeed with `payload` as output. */
    signal: (id: string, name: string, payload: JsonValue = null): Promise<{ result: SignalResult; run: RunView }> =>
      this.call('signalRun', { params: { id, name }, body: { payload } }),
    /**
     * The run's events, past then live, until the server ends the stream after the run's final
     * event (`run.succeeded|failed|cancelled`):
     * `for await (const { event } of baton.runs.follow(id))`. Survives dropped connections and
     * orchestrator restarts (it resumes with Last-Event-ID, with back-off); throws on 404/401/403.
     */
    follow: (id: string, opts: StreamOptions = {}): AsyncGenerator<FollowedEvent> => this.followRun(id, opts),
    /** Doorbells when runs change (forever, reconnecting, until `signal` aborts). Refetch on each. */
    changes: (opts: Omit<StreamOptions, 'lastEventId'> = {}): AsyncGenerator<RunChangesEvent> => this.runChanges(opts),
    artifacts: (id: string): Promise<ArtifactList> => this.call('listRunArtifacts', { params: { id } }),
    /** An artifact's content as a Response (`.text()`, `.blob()`, `.body`), with its own content type. */
    artifact: (id: string, artifactId: string): Promise<Response> =>
      this.transport.send({ method: 'GET', path: pathOf('getRunArtifact', { id, artifactId }), headers: { accept: '*/*' }, stream: true }),
  };

  readonly pipelines = {
    list: (): Promise<PipelineList> => this.call('listPipelines'),
    get: (name: string, opts: { version?: number } = {}): Promise<PipelineView> => this.call('getPipeline', { params: { name }, query: { version: opts.version } }),
    /** Registers a definition: `created` is false when the latest version already had it. */
    put: async (name: string, definition: PipelineDefinitionInput): Promise<{ pipeline: PipelineView; created: boolean }> => {
      const res = await this.transport.send({ method: 'PUT', path: pathOf('putPipeline', { name }), body: definition });
      return { pipeline: (await res.json()) as PipelineView, created: res.status === 201 };
    },
  };

  readonly agents = {
    list: (): Promise<AgentList> => this.call('listAgents'),
    drain: (id: string): Promise<AgentCommandAccepted> => this.call('drainAgent', { params: { id } }),
    restart: (id: string): Promise<AgentCommandAccepted> => this.call('restartAgent', { params: { id } }),
  };

  readonly fleets = {
    /** Drains every agent of a type, one at a time. */
    drain: (type: string): Promise<FleetDrain> => this.call('drainFleet', { params: { type } }),
    drainStatus: (type: string): Promise<FleetDrain> => this.call('getFleetDrain', { params: { type } }),
  };

  readonly queues = {
    list: (): Promise<QueueList> => this.call('listQueues'),
    pause: (type: string): Promise<QueueView> => this.call('pauseQueue', { params: { type } }),
    resume: (type: string): Promise<QueueView> => this.call('resumeQueue', { params: { type } }),
    throughput: (): Promise<QueueThroughput> => this.call('getQueueThroughput'),
  };

  /** The overview page's per-minute series over [from, to) (ISO; default the last hour, at most 24 h). */
  overview(query: { from?: string; to?: string } = {}): Promise<Overview> {
    return this.call('getOverview', { query });
  }

  readonly keys = {
    list: (): Promise<ApiKeyList> => this.call('listApiKeys'),
    /** Never retried: two attempts would create two keys. The secret is in the answer only. */
    create: (request: CreateKeyRequest): Promise<CreatedKey> => this.call('createApiKey', { body: request, retry: false }),
    revoke: (id: string): Promise<ApiKeyView> => this.call('revokeApiKey', { params: { id } }),
  };

  readonly audit = {
    list: (query: { limit?: number; cursor?: string } = {}): Promise<AuditList> => this.call('listAuditEntries', { query }),
    pages: (query: { limit?: number; cursor?: string } = {}): AsyncGenerator<AuditList> => pagesOf((cursor) => this.audit.list({ ...query, cursor }), query.cursor),
  };

  readonly triggers = {
    list: (): Promise<TriggerList> => this.call('listTriggers'),
    get: (name: string): Promise<TriggerDetail> => this.call('getTrigger', { params: { name } }),
    /** The definition as `PUT /v1/triggers/:name` takes it (see the OpenAPI document). */
    put: (name: string, definition: unknown): Promise<TriggerView> => this.call('putTrigger', { params: { name }, body: definition }),
    delete: (name: string): Promise<void> => this.call('deleteTrigger', { params: { name } }),
  };

  readonly schedules = {
    list: (): Promise<ScheduleList> => this.call('listSchedules'),
    get: (name: string): Promise<ScheduleView> => this.call('getSchedule', { params: { name } }),
    put: (name: string, definition: unknown): Promise<ScheduleView> => this.call('putSchedule', { params: { name }, body: definition }),
    delete: (name: string): Promise<void> => this.call('deleteSchedule', { params: { name } }),
    pause: (name: string): Promise<ScheduleView> => this.call('pauseSchedule', { params: { name } }),
    resume: (name: string): Promise<ScheduleView> => this.call('resumeSchedule', { params: { name } }),
  };

  readonly notifications = {
    list: (): Promise<NotificationList> => this.call('listNotifications'),
    get: (name: string): Promise<NotificationView> => this.call('getNotification', { params: { name } }),
    put: (name: string, definition: unknown): Promise<NotificationView> => this.call('putNotification', { params: { name }, body: definition }),
    delete: (name: string): Promise<void> => this.call('deleteNotification', { params: { name } }),
    deliveries: (name: string, query: { status?: 'pending' | 'delivered' | 'failed'; limit?: number } = {}): Promise<NotificationDeliveryList> =>
      this.call('listNotificationDeliveries', { params: { name }, query }),
    redeliver: (name: string, deliveryId: string): Promise<NotificationDelivery> => this.call('redeliverNotification', { params: { name, deliveryId } }),
  };

  readonly session = {
    whoami: (): Promise<Whoami> => this.call('whoami'),
    /** Trades an API key (sent once, in the Authorization header) for the dashboard session cookie (browsers). */
    open: (apiKey: string): Promise<SessionCreated> => this.call('createSession', { headers: { authorization: `Bearer ${apiKey}` } }),
    close: (): Promise<void> => this.call('deleteSession'),
  };

  private async *followRun(id: string, opts: StreamOptions): AsyncGenerator<FollowedEvent> {
    const isEnd = (m: { data: string }) => TERMINAL_EVENTS.has(parseEvent(m.data).type);
    for await (const m of this.stream('streamRunEvents', { id }, opts, isEnd)) yield { id: m.id ?? '', event: parseEvent(m.data) };
  }

  private async *followStageLogs(id: string, stage: string, opts: StreamOptions & { dispatch?: number }): AsyncGenerator<StageLogEntry> {
    const path = `${pathOf('streamStageLogs', { id, stage })}${opts.dispatch ? `?dispatch=${opts.dispatch}` : ''}`;
    for await (const m of eventStream(this.transport, path, opts, (x) => x.event === 'end')) yield JSON.parse(m.data) as StageLogEntry;
  }

  private async *runChanges(opts: Omit<StreamOptions, 'lastEventId'>): AsyncGenerator<RunChangesEvent> {
    for await (const m of this.stream('streamRunChanges', {}, opts)) {
      if (m.event === 'hello') yield { type: 'hello' };
      else if (m.event === 'changed') yield { type: 'changed', changes: JSON.parse(m.data) as RunChanges };
    }
  }
}

function parseEvent(data: string): RunEvent {
  try {
    return JSON.parse(data) as RunEvent;
  } catch {
    throw new BatonApiError(200, 'BAD_RESPONSE', `an event of the run's stream is not JSON: ${data.slice(0, 100)}`);
  }
}
