export { http as api } from '@baton/testing';

/** The error code of an API error envelope, if the body is one. */
export function errorCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : null;
}
