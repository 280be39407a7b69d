import type { ArtifactWriter } from '@baton/runtime';
import { redact } from './redact.js';

const TEXT = /^(text\/|application\/(json|x-ndjson|xml|yaml))/;

/**
 * An artifact writer that masks the agent's secrets in every text artifact it saves (logs,
 * reports, the deployment's service.log) before the bytes reach the store. Binary artifacts
 * (screenshots) are saved as they are.
 */
export function redactingArtifacts(inner: ArtifactWriter, secrets: readonly string[]): ArtifactWriter {
  return {
    save(name, data, contentType) {
      const text = contentType === undefined || TEXT.test(contentType);
      if (!text || secrets.length === 0) return inner.save(name, data, contentType);
      const masked = redact(typeof data === 'string' ? data : data.toString('utf8'), secrets);
      return inner.save(name, masked, contentType);
    },
  };
}
