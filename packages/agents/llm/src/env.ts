/** The agent's secrets: BATON_SECRET_* variables by name (the model API key is referenced by name only). */
export function secretsFromEnv(raw: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('BATON_SECRET_') && v !== undefined) out[k] = v;
  return out;
}
