import type { Role } from '@baton/contracts';

export type Requirement = Role | 'public';

/**
 * Who may call what, by route template. One table, so it can be read (and tested) at a glance.
 * A route missing here needs `viewer`; an unknown path is answered after authentication.
 */
export const PERMISSIONS: Record<string, Requirement> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /docs': 'public',
  'GET /docs/*': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',

  'GET /v1/runs': 'viewer',
  'GET /v1/runs/:id': 'viewer',
  'GET /v1/runs/:id/events': 'viewer',
  'GET /v1/runs/:id/artifacts': 'viewer',
  'GET /v1/runs/:id/artifacts/:artifactId': 'viewer',
  'GET /v1/agents': 'viewer',
  'GET /v1/pipelines': 'viewer',
  'GET /v1/pipelines/:name': 'viewer',
  'GET /v1/queues': 'viewer',
  'GET /v1/fleets/:type/drain': 'viewer',

  'POST /v1/runs': 'submitter',
  // Submitters may cancel their own runs; the route checks ownership, operators cancel any.
  'POST /v1/runs/:id/cancel': 'submitter',

  'POST /v1/runs/:id/pause': 'operator',
  'POST /v1/runs/:id/resume': 'operator',
  'POST /v1/runs/:id/retry': 'operator',
  'POST /v1/agents/:id/drain': 'operator',
  'POST /v1/agents/:id/restart': 'operator',
  'POST /v1/fleets/:type/drain': 'operator',
  'POST /v1/queues/:type/pause': 'operator',
  'POST /v1/queues/:type/resume': 'operator',

  'PUT /v1/pipelines/:name': 'admin',
  'GET /v1/keys': 'admin',
  'POST /v1/keys': 'admin',
  'POST /v1/keys/:id/revoke': 'admin',
  'GET /v1/audit': 'admin',
};

export function requirementFor(method: string, route: string | undefined): Requirement {
  if (!route) return 'viewer';
  return PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${route}`] ?? 'viewer';
}
