import { JsonValue } from './json.js';
import { z } from 'zod';

/** Roles, each including the ones before it. */
export const ROLES = ['viewer', 'submitter', 'operator', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** `bk_<12 hex id>_<43 base64url secret>`: the id names the key, only a hash of the secret is stored. */
export const API_KEY_PATTERN = /^bk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export const ApiKeyList = z.object({ items: z.array(ApiKeyView) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const CreateKeyRequest = z
  .object({
    name: z.string().min(1).max(100),
    role: Role,
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

/** Answer to key creation: the only time the secret is shown. */
export const CreatedKey = ApiKeyView.extend({ key: z.string() });
export type CreatedKey = z.infer<typeof CreatedKey>;

/** Who made a request. */
export const Actor = z.object({
  keyId: z.string().nullable(),
  name: z.string(),
  role: Role,
});
export type Actor = z.infer<typeof Actor>;

/** One append-only audit record: every mutating request and every denied one. */
export const AuditEntry = z.object({
  id: z.string(),
  at: z.string(),
  requestId: z.string(),
  method: z.string(),
  route: z.string(),
  path: z.string(),
  status: z.int(),
  outcome: z.enum(['ok', 'denied', 'rejected', 'error']),
  actor: Actor.nullable(),
  /** The key id a request presented when it could not be authenticated (never the secret). */
  presentedKeyId: z.string().nullable(),
  ip: z.string(),
  /** What a request did beyond its route, when it says (e.g. a bulk action's filter and counts). */
  detail: z.record(z.string(), JsonValue).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditList = z.object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() });
export type AuditList = z.infer<typeof AuditList>;
