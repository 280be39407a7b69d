/**
 * Every operation of the API by its OpenAPI operationId: method and path template. The client
 * calls routes only through this table, and a test checks it against the live document, so a
 * route added to the orchestrator without a client method fails the tests.
 */
export const OPERATIONS = {
  getHealth: ['GET', '/health'],
  getReadiness: ['GET', '/ready'],
  submitRun: ['POST', '/v1/runs'],
  listRuns: ['GET', '/v1/runs'],
  getRun: ['GET', '/v1/runs/:id'],
  cancelRun: ['POST', '/v1/runs/:id/cancel'],
  pauseRun: ['POST', '/v1/runs/:id/pause'],
  resumeRun: ['POST', '/v1/runs/:id/resume'],
  retryRun: ['POST', '/v1/runs/:id/retry'],
  forkRun: ['POST', '/v1/runs/:id/fork'],
  bulkCancelRuns: ['POST', '/v1/runs/bulk/cancel'],
  bulkRetryRuns: ['POST', '/v1/runs/bulk/retry'],
  approveStage: ['POST', '/v1/runs/:id/stages/:stage/approve'],
  rejectStage: ['POST', '/v1/runs/:id/stages/:stage/reject'],
  signalRun: ['POST', '/v1/runs/:id/signals/:name'],
  streamRunEvents: ['GET', '/v1/runs/:id/events'],
  streamStageLogs: ['GET', '/v1/runs/:id/stages/:stage/logs'],
  getStageLogPage: ['GET', '/v1/runs/:id/stages/:stage/logs/page'],
  streamRunChanges: ['GET', '/v1/runs/changes'],
  listRunArtifacts: ['GET', '/v1/runs/:id/artifacts'],
  getRunArtifact: ['GET', '/v1/runs/:id/artifacts/:artifactId'],
  listPipelines: ['GET', '/v1/pipelines'],
  getPipeline: ['GET', '/v1/pipelines/:name'],
  putPipeline: ['PUT', '/v1/pipelines/:name'],
  listAgents: ['GET', '/v1/agents'],
  drainAgent: ['POST', '/v1/agents/:id/drain'],
  restartAgent: ['POST', '/v1/agents/:id/restart'],
  drainFleet: ['POST', '/v1/fleets/:type/drain'],
  getFleetDrain: ['GET', '/v1/fleets/:type/drain'],
  listQueues: ['GET', '/v1/queues'],
  pauseQueue: ['POST', '/v1/queues/:type/pause'],
  resumeQueue: ['POST', '/v1/queues/:type/resume'],
  getQueueThroughput: ['GET', '/v1/queues/throughput'],
  getOverview: ['GET', '/v1/overview'],
  listApiKeys: ['GET', '/v1/keys'],
  createApiKey: ['POST', '/v1/keys'],
  revokeApiKey: ['POST', '/v1/keys/:id/revoke'],
  listAuditEntries: ['GET', '/v1/audit'],
  whoami: ['GET', '/v1/whoami'],
  createSession: ['POST', '/v1/session'],
  deleteSession: ['DELETE', '/v1/session'],
  receiveHook: ['POST', '/v1/hooks/:name'],
  listTriggers: ['GET', '/v1/triggers'],
  getTrigger: ['GET', '/v1/triggers/:name'],
  putTrigger: ['PUT', '/v1/triggers/:name'],
  deleteTrigger: ['DELETE', '/v1/triggers/:name'],
  listSchedules: ['GET', '/v1/schedules'],
  getSchedule: ['GET', '/v1/schedules/:name'],
  putSchedule: ['PUT', '/v1/schedules/:name'],
  deleteSchedule: ['DELETE', '/v1/schedules/:name'],
  pauseSchedule: ['POST', '/v1/schedules/:name/pause'],
  resumeSchedule: ['POST', '/v1/schedules/:name/resume'],
  listNotifications: ['GET', '/v1/notifications'],
  getNotification: ['GET', '/v1/notifications/:name'],
  putNotification: ['PUT', '/v1/notifications/:name'],
  deleteNotification: ['DELETE', '/v1/notifications/:name'],
  listNotificationDeliveries: ['GET', '/v1/notifications/:name/deliveries'],
  redeliverNotification: ['POST', '/v1/notifications/:name/deliveries/:deliveryId/redeliver'],
} as const satisfies Record<string, readonly ['GET' | 'POST' | 'PUT' | 'DELETE', string]>;

export type OperationId = keyof typeof OPERATIONS;

/** A path template with its `:params` filled in (each URI-encoded). */
export function pathOf(op: OperationId, params: Record<string, string> = {}): string {
  return OPERATIONS[op][1].replace(/:(\w+)/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new TypeError(`${op}: missing path parameter "${name}"`);
    return encodeURIComponent(v);
  });
}
