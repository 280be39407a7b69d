import { describe, expect, it } from 'vitest';
import { AnsiParser, xterm256 } from '../src/ansi.js';

const E = '\x1b[';

describe('ANSI log lines', () => {
  it('turns SGR colours and bold into classes, and a reset ends them', () => {
    const p = new AnsiParser();
    expect(p.line(`${E}1;31merror${E}0m: ${E}32mok${E}39m plain`)).toEqual([
      { text: 'error', classes: ['ansi-bold', 'ansi-fg-1'] },
      { text: ': ', classes: [] },
      { text: 'ok', classes: ['ansi-fg-2'] },
      { text: ' plain', classes: [] },
    ]);
  });

  it('keeps the style across lines until reset, and forgets it on reset()', () => {
    const p = new AnsiParser();
    expect(p.line(`${E}33mwarn`)).toEqual([{ text: 'warn', classes: ['ansi-fg-3'] }]);
    expect(p.line('still yellow')).toEqual([{ text: 'still yellow', classes: ['ansi-fg-3'] }]);
    p.reset();
    expect(p.line('plain')).toEqual([{ text: 'plain', classes: [] }]);
  });

  it('reads bright, background, 256-colour and 24-bit colours', () => {
    const p = new AnsiParser();
    expect(p.line(`${E}91;44ma${E}m`)).toEqual([{ text: 'a', classes: ['ansi-fg-9', 'ansi-bg-4'] }]);
    expect(p.line(`${E}38;5;196mb${E}48;5;3mc${E}0m`)).toEqual([
      { text: 'b', classes: [], fg: 'rgb(255, 0, 0)' },
      { text: 'c', classes: ['ansi-bg-3'], fg: 'rgb(255, 0, 0)' },
    ]);
    expect(p.line(`${E}38;2;1;2;3md${E}0m`)).toEqual([{ text: 'd', classes: [], fg: 'rgb(1, 2, 3)' }]);
    expect(xterm256(232)).toBe('rgb(8, 8, 8)');
    expect(xterm256(16)).toBe('rgb(0, 0, 0)');
  });

  it('drops other escape sequences and control characters, and leaves markup as text', () => {
    const p = new AnsiParser();
    const segs = p.line(`${E}2K${E}1G\x1b]0;title\x07<b>&amp;</b>\x1b]8;;https://x\x1b\\link\r`);
    expect(segs.map((s) => s.text).join('')).toBe('<b>&amp;</b>link');
    expect(segs.every((s) => s.classes.length === 0)).toBe(true);
  });

  it('ignores a malformed extended colour without losing the line', () => {
    const p = new AnsiParser();
    expect(p.line(`${E}38;5mx${E}38;2;300;0;0my`)).toEqual([
      { text: 'x', classes: [] },
      { text: 'y', classes: [] },
    ]);
  });
});
