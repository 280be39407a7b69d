import { RE2JS } from 're2js';

/**
 * Whether `body` matches the user's pattern, with RE2's linear-time engine (re2js: a pure-JS port,
 * no native build): a pattern like `(a+)+$` cannot backtrack exponentially and block the agent's
 * event loop. RE2 syntax: no lookaround or backreferences. Returns null for an invalid pattern.
 */
export function bodyMatches(pattern: string, body: string): boolean | null {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch {
    return null;
  }
  return re.matcher(body).find();
}
