import type { StageLogEntry, StageView } from '@baton/contracts';
import { baton } from '../api.js';
import { AnsiParser } from '../ansi.js';
import { h } from '../dom.js';

const LIVE = new Set(['queued', 'running']);
/** Pages of the paged form read for a finished dispatch (1000 entries each). */
const MAX_PAGES = 50;
/** Lines kept in the page; older ones are dropped from the view (the API keeps them all). */
const MAX_LINES = 20_000;
/** How close to the bottom (px) still counts as "at the bottom" (auto-scroll resumes there). */
const BOTTOM_SLACK = 8;

/**
 * A stage dispatch's live log in the stage panel: while the stage is queued or running it tails
 * GET /v1/runs/:id/stages/:stage/logs (SSE, through @baton/client, which resumes with
 * Last-Event-ID), and once it is over it reads the log with the paged form. ANSI colours are
 * rendered (ansi.ts), the "truncated" marker and each attempt's end are shown, and the view
 * follows new lines until the user scrolls up; scrolling back to the bottom follows again.
 */
export class StageLogTail {
  readonly el: HTMLElement;
  private readonly box: HTMLElement;
  private readonly state: HTMLElement;
  private readonly parser = new AnsiParser();
  private readonly seen = new Set<string>();
  private last: string | undefined;
  private attempt = 0;
  private lines = 0;
  private follow = true;
  /** The log's height before the last lines were appended (see the scroll handler). */
  private heightBeforeAppend = 0;
  private controller: AbortController | null = null;
  private reading: Promise<void> | null = null;
  private stopped = false;
  private finished = false;

  constructor(
    readonly runId: string,
    readonly stage: string,
    /** null: the stage's current dispatch (when the view does not say which it is). */
    readonly dispatch: number | null,
  ) {
    this.box = h('div.live-log', { 'data-live-log': stage, 'data-follow': 'true', tabindex: 0, 'aria-label': `live log of ${stage}` });
    this.box.addEventListener('scroll', () => {
      const seen = this.box.scrollTop + this.box.clientHeight;
      // Lines appended between the user's scroll and this event must not keep them from following:
      // reaching the bottom as it was before the last lines came counts as the bottom.
      const atBottom = this.box.scrollHeight - seen <= BOTTOM_SLACK || (!this.follow && this.heightBeforeAppend > 0 && seen >= this.heightBeforeAppend - BOTTOM_SLACK);
      if (atBottom !== this.follow) {
        this.follow = atBottom;
        this.box.dataset.follow = String(atBottom);
        this.status();
      }
    });
    this.state = h('span.muted', { 'data-log-state': '' });
    this.el = h('section.stage-log', { 'data-stage-log': stage, 'data-dispatch': dispatch ?? '' }, h('div.toolbar', {}, h('h3', {}, dispatch ? `Live log (dispatch ${dispatch})` : 'Live log'), this.state), this.box);
  }

  /** Called on every redraw of the run page with the stage's current view. */
  update(s: StageView): void {
    if (this.stopped || this.reading) return;
    if (s.status === 'pending') return this.status(s.status);
    if (LIVE.has(s.status) && s.attempts > 0) this.reading = this.tail().finally(() => (this.reading = null));
    else if (!LIVE.has(s.status) && !this.finished) this.reading = this.readStored().finally(() => (this.reading = null));
    this.status(s.status);
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private which(): { dispatch?: number } {
    return this.dispatch ? { dispatch: this.dispatch } : {};
  }

  private status(stageStatus?: string): void {
    const live = this.controller !== null;
    const text = live ? (this.follow ? 'following' : 'paused: scroll to the bottom to follow') : this.finished ? 'ended' : stageStatus === 'pending' ? 'not started yet' : stageStatus === 'queued' ? 'waiting for the stage to start' : '';
    this.state.textContent = text;
    this.state.dataset.logState = live ? 'live' : this.finished ? 'ended' : 'idle';
  }

  /** Follows the stream until its attempt's end (the client ends it there); the next update follows the next attempt. */
  private async tail(): Promise<void> {
    this.controller = new AbortController();
    this.status();
    const reconnect = { maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 5000 };
    try {
      for await (const e of baton.runs.followLogs(this.runId, this.stage, { ...this.which(), signal: this.controller.signal, reconnect, ...(this.last ? { lastEventId: this.last } : {}) })) this.show([e]);
    } catch {
      // aborted, or the stream gave up: the next update reopens it after the last entry shown
    } finally {
      this.controller = null;
      this.status();
    }
  }

  /** A finished dispatch: every entry after the last one shown, with the paged form. */
  private async readStored(): Promise<void> {
    try {
      for (let i = 0; i < MAX_PAGES && !this.stopped; i++) {
        const p = await baton.runs.logs(this.runId, this.stage, { ...this.which(), limit: 1000, ...(this.last ? { after: this.last } : {}) });
        this.show(p.items);
        if (p.ended || p.items.length === 0) break;
      }
      this.finished = true;
      if (this.lines === 0 && this.box.childElementCount === 0) this.box.append(h('div.muted', {}, 'This dispatch wrote no live output.'));
    } catch (e: unknown) {
      this.box.append(h('div.error-text', {}, `could not read the log${e instanceof Error ? ` (${e.message})` : ''}`));
      this.finished = true;
    }
    this.status();
  }

  private show(entries: StageLogEntry[]): void {
    const frag = document.createDocumentFragment();
    for (const e of entries) {
      if (this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      this.last = e.id;
      if (e.attempt !== this.attempt) {
        if (this.attempt !== 0 || e.attempt > 1) frag.append(h('div.log-attempt', { 'data-attempt': e.attempt }, `attempt ${e.attempt}`));
        this.attempt = e.attempt;
        this.parser.reset();
      }
      if (e.kind === 'lines') for (const line of e.lines ?? []) frag.append(this.line(line));
      else if (e.kind === 'truncated') frag.append(h('div.log-truncated', { 'data-log-truncated': '' }, `… truncated: ${e.detail ?? 'the rest of this attempt’s output was dropped'}`));
      else frag.append(h('div.log-end', { 'data-log-end': e.detail ?? '' }, `[attempt ${e.attempt} ${e.detail ?? 'ended'}]`));
    }
    if (!frag.hasChildNodes()) return;
    this.heightBeforeAppend = this.box.scrollHeight;
    this.box.append(frag);
    while (this.lines > MAX_LINES && this.box.firstElementChild) {
      if (this.box.firstElementChild.classList.contains('log-line')) this.lines--;
      this.box.firstElementChild.remove();
    }
    if (this.follow) this.box.scrollTop = this.box.scrollHeight;
  }

  private line(text: string): HTMLElement {
    this.lines++;
    const div = h('div.log-line');
    for (const seg of this.parser.line(text)) {
      if (seg.classes.length === 0 && !seg.fg && !seg.bg) {
        div.append(seg.text);
        continue;
      }
      const span = h('span', { class: seg.classes.join(' ') || null }, seg.text);
      if (seg.fg) span.style.color = seg.fg;
      if (seg.bg) span.style.backgroundColor = seg.bg;
      div.append(span);
    }
    if (!div.hasChildNodes()) div.append('\u00a0');
    return div;
  }
}
