/** History-API routing under /ui/: each page renders into the main element and returns its cleanup. */
export type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => (() => void) | void;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  nav: string;
}

const routes: Route[] = [];
let cleanup: (() => void) | void;
let outlet: HTMLElement | null = null;
let onNavigate: (nav: string) => void = () => undefined;
let mayRender: () => boolean = () => true;

/** `path` like `/ui/runs/:id`. `nav` names the menu entry to highlight. */
export function route(path: string, nav: string, page: Page): void {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_m, n: string) => (names.push(n), '([^/]+)'))}/?$`);
  routes.push({ pattern, names, page, nav });
}

/**
 * `signedIn` guards the outlet: while it is false (the sign-in form is showing) navigation only
 * changes the URL, and the page renders once the caller signs in again.
 */
export function startRouter(el: HTMLElement, navigated: (nav: string) => void, signedIn: () => boolean): void {
  outlet = el;
  onNavigate = navigated;
  mayRender = signedIn;
  window.addEventListener('popstate', render);
  // Same-origin links inside the app navigate without a reload.
  document.addEventListener('click', (e) => {
    const a = (e.target as Element).closest('a');
    if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/ui/') || url.pathname.startsWith('/ui/bull')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  render();
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  render();
}

/** Stops the current page (its streams and timers), e.g. when the session ends. */
export function leave(): void {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
}

/** Re-renders the current page (e.g. after signing in). */
export function render(): void {
  if (!outlet || !mayRender()) return;
  leave();
  outlet.replaceChildren();
  const path = location.pathname;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    onNavigate(r.nav);
    cleanup = r.page(outlet, params, new URLSearchParams(location.search));
    return;
  }
  onNavigate('');
  outlet.append(Object.assign(document.createElement('p'), { className: 'empty', textContent: `No page at ${path}.` }));
}
