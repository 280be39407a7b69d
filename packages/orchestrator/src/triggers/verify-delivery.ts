import { constantTimeEqual } from './constant-time.js';
import { verifyGithubSignature, verifyGitlabToken } from './provider-signatures.js';
import { refused, type SignatureCheck } from './signature-check.js';
import { SIGNATURE_HEADER, verifyTimestamped } from './timestamped-hmac.js';
import { sha256Hex, type StoredTrigger } from './trigger-store.js';

type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export class MissingSecretError extends Error {
  constructor(readonly env: string) {
    super(`the secret ${env} of this trigger is not set in this orchestrator's environment`);
  }
}

/** Checks a delivery's credential against its trigger's secret, per source (constant time). */
export function verifyDelivery(trigger: StoredTrigger, secrets: Readonly<Record<string, string>>, rawBody: string, headers: Headers, nowSeconds: number): SignatureCheck {
  const secret = trigger.secret.kind === 'env' ? secrets[trigger.secret.env] : undefined;
  if (trigger.secret.kind === 'env' && secret === undefined) throw new MissingSecretError(trigger.secret.env);
  switch (trigger.source) {
    case 'github':
      return verifyGithubSignature(secret ?? '', rawBody, one(headers['x-hub-signature-256']));
    case 'gitlab': {
      const token = one(headers['x-gitlab-token']);
      if (trigger.secret.kind === 'env') return verifyGitlabToken(secret!, token);
      if (token === undefined || token === '') return refused('missing');
      return constantTimeEqual(sha256Hex(token), trigger.secret.hash) ? { ok: true } : refused('mismatch');
    }
    case 'generic':
      return verifyTimestamped(secret ?? '', rawBody, one(headers[SIGNATURE_HEADER]), nowSeconds);
  }
}
