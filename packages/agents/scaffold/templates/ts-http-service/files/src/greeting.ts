export type Greeting = { ok: true; text: string } | { ok: false; error: string };

export const MAX_NAME_LENGTH = 100;

/** The service's feature: greets someone by name. */
export function greet(name: string): Greeting {
  const trimmed = name.trim();
  if (trimmed.length === 0) return { ok: false, error: 'name is empty' };
  if (trimmed.length > MAX_NAME_LENGTH) return { ok: false, error: `name is longer than ${MAX_NAME_LENGTH} characters` };
  return { ok: true, text: `{{greeting}}, ${trimmed}!` };
}
