/** Why a delivery's credential was refused; `ok` when it was accepted. */
export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

export const accepted: SignatureCheck = { ok: true };

export function refused(reason: 'missing' | 'malformed' | 'mismatch' | 'stale'): SignatureCheck {
  return { ok: false, reason };
}
