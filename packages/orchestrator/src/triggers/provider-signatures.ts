import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import { accepted, refused, type SignatureCheck } from './signature-check.js';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed with the webhook secret>`.
 * The HMAC must be taken over the bytes as received — re-serialised JSON does not match.
 */
export function verifyGithubSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
): SignatureCheck {
  if (header === undefined || header === '') return refused('missing');
  if (!header.startsWith('sha256=')) return refused('malformed');
  const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return constantTimeEqual(header, expected) ? accepted : refused('mismatch');
}

/** GitLab: `X-Gitlab-Token` carries the configured secret token itself (no HMAC). */
export function verifyGitlabToken(secret: string, header: string | undefined): SignatureCheck {
  if (header === undefined || header === '') return refused('missing');
  return constantTimeEqual(header, secret) ? accepted : refused('mismatch');
}
