import { z } from 'zod';

/** A stage's stored file (log, report, screenshot). Content lives in the artifact store, addressed by sha256. */
export const ArtifactMeta = z.object({
  id: z.string().regex(/^art_[0-9a-f]{24}$/),
  runId: z.string(),
  stage: z.string(),
  name: z.string().min(1).max(200),
  contentType: z.string().max(200),
  size: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  agentId: z.string(),
});
export type ArtifactMeta = z.infer<typeof ArtifactMeta>;

export const ArtifactList = z.object({ items: z.array(ArtifactMeta) });
export type ArtifactList = z.infer<typeof ArtifactList>;

/** Largest single artifact (bytes) unless BATON_ARTIFACT_MAX_BYTES says otherwise. */
export const DEFAULT_ARTIFACT_MAX_BYTES = 10 * 1024 * 1024;
