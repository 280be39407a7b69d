import { roleAtLeast, type Role } from '@baton/contracts';

export type Requirement = Role | 'public';

/**
 * Who may call what, by route template. One table, so it can be read (and tested) at a glance.
 * A key ending in `/*` covers every route under that prefix (bull-board registers dozens), and a
 * `*` method every method not listed on its own. A route missing here needs `viewer`; an unknown
 * path is answered after authentication.
 */
export const PERMISSIONS: Record<string, Requirement> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /docs': 'public',
  'GET /docs/*': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  // The dashboard's static files (HTML, JS, CSS: no data). Everything they show comes from the API.
  'GET /': 'public',
  'GET /ui': 'public',
  'GET /ui/*': 'public',

  // Dashboard sessions: any valid key may trade itself for an HttpOnly session cookie.
  'GET /v1/whoami': 'viewer',
  'POST /v1/session': 'viewer',
  'DELETE /v1/session': 'viewer',
  'GET /v1/runs/changes': 'viewer',
  'GET /v1/queues/throughput': 'viewer',
  'GET /v1/overview': 'viewer',
  // bull-board: a read-only board for every role, a full one for admins.
  'GET /ui/bull/*': 'viewer',
  '* /ui/bull/*': 'admin',
  'GET /ui/bull-admin/*': 'admin',
  '* /ui/bull-admin/*': 'admin',

  'GET /v1/runs': 'viewer',
  'GET /v1/runs/:id': 'viewer',
  'GET /v1/runs/:id/events': 'viewer',
  'GET /v1/runs/:id/artifacts': 'viewer',
  'GET /v1/runs/:id/stages/:stage/logs': 'viewer',
  'GET /v1/runs/:id/stages/:stage/logs/page': 'viewer',
  'GET /v1/runs/:id/artifacts/:artifactId': 'viewer',
  'GET /v1/agents': 'viewer',
  'GET /v1/pipelines': 'viewer',
  'GET /v1/pipelines/:name': 'viewer',
  'GET /v1/queues': 'viewer',
  'GET /v1/fleets/:type/drain': 'viewer',

  'POST /v1/runs': 'submitter',
  // Submitters may cancel their own runs; the route checks ownership, operators cancel any.
  'POST /v1/runs/:id/cancel': 'submitter',
  // Approval decisions: any key from submitter up; the stage's approvers and the self-approval rule decide.
  'POST /v1/runs/:id/stages/:stage/approve': 'submitter',
  'POST /v1/runs/:id/stages/:stage/reject': 'submitter',
  // Signals: any key from submitter up (a CI job or a person reporting that something happened).
  'POST /v1/runs/:id/signals/:name': 'submitter',

  'POST /v1/runs/:id/pause': 'operator',
  'POST /v1/runs/:id/resume': 'operator',
  'POST /v1/runs/:id/retry': 'operator',
  'POST /v1/runs/:id/fork': 'operator',
  'POST /v1/runs/bulk/cancel': 'operator',
  'POST /v1/runs/bulk/retry': 'operator',
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

  // Webhook deliveries carry no API key: the provider's signature is the credential (checked by the route).
  'POST /v1/hooks/:name': 'public',
  'GET /v1/triggers': 'viewer',
  'GET /v1/triggers/:name': 'viewer',
  'PUT /v1/triggers/:name': 'admin',
  'DELETE /v1/triggers/:name': 'admin',
  'GET /v1/schedules': 'viewer',
  'GET /v1/schedules/:name': 'viewer',
  'PUT /v1/schedules/:name': 'admin',
  'DELETE /v1/schedules/:name': 'admin',
  'POST /v1/schedules/:name/pause': 'operator',
  'POST /v1/schedules/:name/resume': 'operator',
  'GET /v1/notifications': 'viewer',
  'GET /v1/notifications/:name': 'viewer',
  'PUT /v1/notifications/:name': 'admin',
  'DELETE /v1/notifications/:name': 'admin',
  'GET /v1/notifications/:name/deliveries': 'viewer',
  'POST /v1/notifications/:name/deliveries/:deliveryId/redeliver': 'operator',
};

const PREFIXES = Object.entries(PERMISSIONS)
  .filter(([k]) => k.endsWith('/*'))
  .map(([k, needs]) => {
    const [method, path] = k.split(' ') as [string, string];
    return { method, prefix: path.slice(0, -1), needs };
  })
  // Longest prefix first, then an exact method before `*`.
  .sort((a, b) => b.prefix.length - a.prefix.length || (a.method === '*' ? 1 : 0) - (b.method === '*' ? 1 : 0));

export function requirementFor(method: string, route: string | undefined): Requirement {
  if (!route) return 'viewer';
  const m = method === 'HEAD' ? 'GET' : method;
  const exact = PERMISSIONS[`${m} ${route}`];
  if (exact) return exact;
  const under = (prefix: string) => route.startsWith(prefix) || route === prefix.slice(0, -1);
  const rule = PREFIXES.find((p) => under(p.prefix) && (p.method === m || p.method === '*'));
  return rule?.needs ?? 'viewer';
}

/** Every entry of the table a role may call (for the dashboard's buttons). */
export function allowedRoutes(role: Role): string[] {
  return Object.entries(PERMISSIONS)
    .filter(([, needs]) => needs === 'public' || roleAtLeast(role, needs))
    .map(([route]) => route);
}
