import type { Whoami } from '@baton/contracts';
import { baton, BatonApiError, onApiFailure, session } from './api.js';
import { h, replaceChildren } from './dom.js';
import { fleetPage } from './pages/fleet.js';
import { loginView } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { pipelinePage, pipelinesPage } from './pages/pipelines.js';
import { queuesPage } from './pages/queues.js';
import { automationPage } from './pages/automation.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { leave, render, route, startRouter } from './router.js';

route('/ui', 'overview', overviewPage);
route('/ui/overview', 'overview', overviewPage);
route('/ui/runs', 'runs', runsPage);
route('/ui/runs/:id', 'runs', runPage);
route('/ui/fleet', 'fleet', fleetPage);
route('/ui/queues', 'queues', queuesPage);
route('/ui/pipelines', 'pipelines', pipelinesPage);
route('/ui/pipelines/:name', 'pipelines', pipelinePage);
route('/ui/automation', 'automation', automationPage);

const NAV: [string, string][] = [
  ['overview', '/ui/overview'],
  ['runs', '/ui/runs'],
  ['fleet', '/ui/fleet'],
  ['queues', '/ui/queues'],
  ['pipelines', '/ui/pipelines'],
  ['automation', '/ui/automation'],
];

const banner = h('div.banner', { role: 'status', hidden: true });
const who = h('span.who');
const nav = h('nav', {}, NAV.map(([name, href]) => h('a', { href, 'data-nav': name }, name[0]!.toUpperCase() + name.slice(1))));
const main = h('main');
let started = false;

function showWho(me: Whoami): void {
  const signOut =
    me.via === 'session'
      ? h('button.small', { type: 'button', onclick: () => void baton.session.close().finally(() => signIn(null)) }, 'Sign out')
      : null;
  replaceChildren(who, h('span', { 'data-role': me.role }, me.auth === 'disabled' ? 'auth disabled · admin' : `${me.name} · ${me.role}`), signOut);
}

function signIn(reason: string | null): void {
  leave();
  session.me = null;
  who.replaceChildren();
  main.replaceChildren(loginView(reason, (me) => start(me)));
}

function start(me: Whoami): void {
  session.me = me;
  showWho(me);
  if (started) render();
  else {
    started = true;
    startRouter(main, (current) => nav.querySelectorAll('a').forEach((a) => a.classList.toggle('active', a.dataset.nav === current)), () => session.me !== null);
  }
}

/** While the orchestrator is unreachable, a banner says so; it goes when /health answers again. */
let probing = false;
function unreachable(): void {
  banner.hidden = false;
  banner.textContent = 'The orchestrator is not reachable. Retrying…';
  if (probing) return;
  probing = true;
  const probe = window.setInterval(() => {
    baton
      .health({ retry: false })
      .then(() => {
        clearInterval(probe);
        probing = false;
        banner.hidden = true;
        render();
      })
      .catch(() => undefined);
  }, 3000);
}

onApiFailure((f) => {
  if (f.status === 401 && session.me) signIn(`Signed out: ${f.message}`);
  else if (f.status === 0) unreachable();
});

document.body.replaceChildren(h('header', {}, h('a.brand', { href: '/ui/overview' }, 'Baton'), nav, who), banner, main);
baton.session
  .whoami()
  .then(start)
  .catch((e: unknown) => {
    if (e instanceof BatonApiError && e.status === 401) signIn(null);
    else main.replaceChildren(h('div.state.error', {}, `Could not start the dashboard: ${e instanceof Error ? e.message : String(e)}`));
  });
