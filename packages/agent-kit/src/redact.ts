const MASK = '[redacted]';
/** Secrets shorter than this are not masked (they would match ordinary text). */
const MIN_SECRET = 4;
/** Base64 forms shorter than this are not masked. */
const MIN_ENCODED = 8;

/** What CappedOutput puts where it dropped the middle of a stream. */
const CUT = /\n… \[\d+ bytes omitted\] …\n/g;

/**
 * The base64 (standard and URL-safe) texts that appear in any base64 encoding of a stream holding
 * `secret`, whatever its offset: for each of the three alignments, the encoding of the secret's
 * whole 3-byte groups at that alignment.
 */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>();
  for (let p = 0; p < 3; p++) {
    const whole = Math.floor((bytes.length - p) / 3) * 3;
    if (whole <= 0) continue;
    const b64 = bytes.subarray(p, p + whole).toString('base64');
    if (b64.length < MIN_ENCODED) continue;
    forms.add(b64);
    forms.add(b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

/** Every text to mask for these secrets: each secret and its base64 forms, longest first. */
function needles(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SECRET) continue;
    all.add(s);
    for (const e of encodedForms(s)) all.add(e);
  }
  return [...all].sort((a, b) => b.length - a.length);
}

function maskWhole(text: string, list: readonly string[]): string {
  let out = text;
  for (const n of list) out = out.split(n).join(MASK);
  return out;
}

/** Length of the longest end of `text` (at least MIN_SECRET long) that begins one of `list`. */
function partialAtEnd(text: string, list: readonly string[]): number {
  let best = 0;
  for (const n of list) {
    for (let len = Math.min(n.length - 1, text.length); len >= MIN_SECRET && len > best; len--) {
      if (text.endsWith(n.slice(0, len))) {
        best = len;
        break;
      }
    }
  }
  return best;
}

/** Length of the longest start of `text` (at least MIN_SECRET long) that ends one of `list`. */
function partialAtStart(text: string, list: readonly string[]): number {
  let best = 0;
  for (const n of list) {
    for (let len = Math.min(n.length - 1, text.length); len >= MIN_SECRET && len > best; len--) {
      if (text.startsWith(n.slice(n.length - len))) {
        best = len;
        break;
      }
    }
  }
  return best;
}

/**
 * Replaces every occurrence of each secret value (4 characters or longer), and of its base64
 * forms, with `[redacted]`. Where capped output dropped the middle of a stream (the
 * "… [N bytes omitted] …" line), a secret cut in two by it is masked on both sides too: the end of
 * the kept beginning that starts a secret, and the start of the kept end that finishes one.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const list = needles(secrets);
  if (list.length === 0) return text;
  const parts: string[] = [];
  const cuts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(CUT)) {
    parts.push(text.slice(last, m.index));
    cuts.push(m[0]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  const masked = parts.map((p) => maskWhole(p, list));
  for (let i = 0; i < masked.length; i++) {
    let p = masked[i]!;
    if (i > 0) {
      const n = partialAtStart(p, list);
      if (n) p = MASK + p.slice(n);
    }
    if (i < masked.length - 1) {
      const n = partialAtEnd(p, list);
      if (n) p = p.slice(0, p.length - n) + MASK;
    }
    masked[i] = p;
  }
  return masked.map((p, i) => (i < cuts.length ? p + cuts[i] : p)).join('');
}
