export type HookSource = 'github' | 'gitlab' | 'generic';

/** What a delivery says about itself: the event type, and the id that stays the same on every redelivery. */
export interface DeliveryIdentity {
  event: string | undefined;
  deliveryId: string | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Reads the event type and the idempotency key each provider sends:
 * - GitHub: `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID that a redelivery repeats).
 * - GitLab: `X-Gitlab-Event`, `Idempotency-Key` (GitLab 17.4+, the same on every retry; the per-request
 *   `X-Gitlab-Webhook-UUID` is not, so it is not used).
 * - generic: `X-Baton-Event`, `X-Baton-Delivery`.
 * Header names are matched case-insensitively, as Node's HTTP parser lower-cases them.
 */
export function deliveryIdentity(source: HookSource, headers: Headers): DeliveryIdentity {
  switch (source) {
    case 'github':
      return { event: header(headers, 'x-github-event'), deliveryId: header(headers, 'x-github-delivery') };
    case 'gitlab':
      return { event: header(headers, 'x-gitlab-event'), deliveryId: header(headers, 'idempotency-key') };
    case 'generic':
      return { event: header(headers, 'x-baton-event'), deliveryId: header(headers, 'x-baton-delivery') };
  }
}

function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}
