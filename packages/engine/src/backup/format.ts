import { z } from 'zod';

/**
 * A backup file: JSON lines. The first line is the header; every other line is one Redis key of
 * the namespace, stored logically by type (not DUMP's RDB encoding, so any Redis version can load it).
 * `name` is the key without its `{namespace}` hash tag, so a backup can be restored under another namespace.
 */
export const BACKUP_FORMAT = 'baton-backup';
/** Bump when a restore of an older file would no longer be correct. */
export const BACKUP_FORMAT_VERSION = 1;

export const BackupHeader = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.int(),
  namespace: z.string(),
  createdAt: z.string(),
  keys: z.int().nonnegative(),
  runs: z.int().nonnegative(),
  activeRuns: z.int().nonnegative(),
  /** Agent types whose queue was paused (restored paused). */
  pausedQueues: z.array(z.string()),
});
export type BackupHeader = z.infer<typeof BackupHeader>;

export const BackupKey = z.discriminatedUnion('type', [
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('string'), value: z.string() }),
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('hash'), value: z.record(z.string(), z.string()) }),
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('set'), value: z.array(z.string()) }),
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('list'), value: z.array(z.string()) }),
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('zset'), value: z.array(z.tuple([z.string(), z.string()])) }),
  z.object({ name: z.string(), ttlMs: z.int().nullable(), type: z.literal('stream'), value: z.array(z.tuple([z.string(), z.array(z.string())])) }),
]);
export type BackupKey = z.infer<typeof BackupKey>;

export class BackupError extends Error {
  override readonly name = 'BackupError';
}
