import { isRefObject, parseRef, type JsonValue, type SecretUse } from '@baton/contracts';

const SECRET_NAME = /^BATON_SECRET_[A-Z0-9_]{1,64}$/;

export interface FoundSecretUse {
  secret: string;
  use: SecretUse;
  /** Where in the request it was found, for the error. */
  at: (string | number)[];
}

/**
 * The stage input with references to the run input replaced by what they point at; references to
 * stage outputs stay as they are (unknown at submit). Only call it once the resolved size is
 * known to be bounded (see input-size.ts).
 */
export function resolveInputRefs(template: JsonValue, input: JsonValue): JsonValue {
  if (isRefObject(template)) {
    const ref = parseRef(template.$from);
    if ('error' in ref || ref.source !== 'input') return template;
    let cur: JsonValue | undefined = input;
    for (const seg of ref.path) cur = cur !== null && typeof cur === 'object' ? (Array.isArray(cur) ? cur[Number(seg)] : Object.hasOwn(cur, seg) ? cur[seg] : undefined) : undefined;
    return cur ?? template.default ?? null;
  }
  if (Array.isArray(template)) return template.map((v) => resolveInputRefs(v, input));
  if (typeof template === 'object' && template !== null) return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, resolveInputRefs(v, input)]));
  return template;
}

/**
 * Every secret a value names. `credentialRef` (with its sibling `url` or `repository`) is a git credential;
 * `secretEnv` values (with the sibling `app`) go into a deployed app; any other string that is a
 * `BATON_SECRET_*` name still needs the caller to be allowed to use it (destination unknown).
 */
export function findSecretUses(value: JsonValue, at: (string | number)[] = []): FoundSecretUse[] {
  const found: FoundSecretUse[] = [];
  const claimed = new Set<unknown>();
  const visit = (v: JsonValue, path: (string | number)[]) => {
    if (Array.isArray(v)) return v.forEach((item, i) => visit(item, [...path, i]));
    if (typeof v === 'string') {
      if (SECRET_NAME.test(v)) found.push({ secret: v, use: { kind: 'git', url: null }, at: path });
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    // The repository a credential is for: `url` of a RepoRef, or `repository` of the scaffold input.
    const url = typeof v.url === 'string' ? v.url : typeof v.repository === 'string' ? v.repository : null;
    const app = typeof v.app === 'string' ? v.app : null;
    if (typeof v.credentialRef === 'string' && SECRET_NAME.test(v.credentialRef)) {
      found.push({ secret: v.credentialRef, use: { kind: 'git', url }, at: [...path, 'credentialRef'] });
      claimed.add(v);
    }
    const env = v.secretEnv;
    if (env && typeof env === 'object' && !Array.isArray(env)) {
      for (const [k, ref] of Object.entries(env)) {
        if (typeof ref === 'string' && SECRET_NAME.test(ref)) found.push({ secret: ref, use: { kind: 'env', app }, at: [...path, 'secretEnv', k] });
      }
      claimed.add(env);
    }
    for (const [k, item] of Object.entries(v)) {
      if (k === 'credentialRef' && claimed.has(v)) continue;
      if (k === 'secretEnv' && claimed.has(item)) continue;
      visit(item, [...path, k]);
    }
  };
  visit(value, at);
  return found;
}
