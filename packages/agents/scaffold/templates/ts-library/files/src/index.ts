/** Lowercase, ASCII-only, words joined by "-": `Hello, World!` → `hello-world`. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Shortens `text` to at most `max` characters, ending with "…" when it was cut. */
export function truncate(text: string, max: number): string {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
