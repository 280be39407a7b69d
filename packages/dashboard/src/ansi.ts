/**
 * ANSI escape sequences in a log line → styled segments (no HTML strings: the caller builds DOM
 * nodes with textContent, so a log line can never inject markup). SGR codes set bold, faint,
 * italic, underline and colours (the 16 palette colours as classes, see app.css; 256-colour and
 * 24-bit colours as an `rgb()` value, applied through the CSSOM, which the page's CSP allows where
 * it forbids inline style attributes). Every other escape sequence (cursor moves, OSC titles and
 * links) is dropped. The state carries over from line to line, like a terminal's.
 */
export interface AnsiSegment {
  text: string;
  /** ansi-bold, ansi-faint, ansi-italic, ansi-underline, ansi-fg-<0..15>, ansi-bg-<0..15>. */
  classes: string[];
  /** A 256-colour (index ≥ 16) or 24-bit colour, as `rgb(r, g, b)`. */
  fg?: string;
  bg?: string;
}

type Colour = { palette: number } | { rgb: string } | null;

interface State {
  bold: boolean;
  faint: boolean;
  italic: boolean;
  underline: boolean;
  fg: Colour;
  bg: Colour;
}

const plain = (): State => ({ bold: false, faint: false, italic: false, underline: false, fg: null, bg: null });

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), other two-byte escapes, and C0 controls but tab.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|[\x00-\x08\x0b-\x1f\x7f]/g;

const LEVELS = [0, 95, 135, 175, 215, 255];

/** The rgb() of a 256-colour index ≥ 16 (the 6×6×6 cube, then 24 greys). */
export function xterm256(n: number): string {
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g}, ${g}, ${g})`;
  }
  const i = n - 16;
  return `rgb(${LEVELS[Math.floor(i / 36)]}, ${LEVELS[Math.floor(i / 6) % 6]}, ${LEVELS[i % 6]})`;
}

const byte = (s: string | undefined) => {
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : null;
};

export class AnsiParser {
  private s: State = plain();

  /** Forgets the current style (a new attempt's output starts plain). */
  reset(): void {
    this.s = plain();
  }

  /** The segments of one line, in order; empty segments are left out. */
  line(text: string): AnsiSegment[] {
    const out: AnsiSegment[] = [];
    let at = 0;
    for (const m of text.matchAll(ESCAPE)) {
      if (m.index > at) out.push(this.segment(text.slice(at, m.index)));
      at = m.index + m[0].length;
      if (m[2] === 'm') this.sgr(m[1] ?? '');
    }
    if (at < text.length) out.push(this.segment(text.slice(at)));
    return out;
  }

  private segment(text: string): AnsiSegment {
    const s = this.s;
    const classes: string[] = [];
    if (s.bold) classes.push('ansi-bold');
    if (s.faint) classes.push('ansi-faint');
    if (s.italic) classes.push('ansi-italic');
    if (s.underline) classes.push('ansi-underline');
    const seg: AnsiSegment = { text, classes };
    if (s.fg && 'palette' in s.fg) classes.push(`ansi-fg-${s.fg.palette}`);
    else if (s.fg) seg.fg = s.fg.rgb;
    if (s.bg && 'palette' in s.bg) classes.push(`ansi-bg-${s.bg.palette}`);
    else if (s.bg) seg.bg = s.bg.rgb;
    return seg;
  }

  private sgr(params: string): void {
    // Sub-parameters (38:5:n) are read like parameters (38;5;n).
    const p = params === '' ? [0] : params.split(/[;:]/).map((x) => (x === '' ? 0 : Number(x)));
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c === 0) this.s = plain();
      else if (c === 1) this.s.bold = true;
      else if (c === 2) this.s.faint = true;
      else if (c === 3) this.s.italic = true;
      else if (c === 4) this.s.underline = true;
      else if (c === 22) this.s.bold = this.s.faint = false;
      else if (c === 23) this.s.italic = false;
      else if (c === 24) this.s.underline = false;
      else if (c >= 30 && c <= 37) this.s.fg = { palette: c - 30 };
      else if (c >= 90 && c <= 97) this.s.fg = { palette: c - 90 + 8 };
      else if (c === 39) this.s.fg = null;
      else if (c >= 40 && c <= 47) this.s.bg = { palette: c - 40 };
      else if (c >= 100 && c <= 107) this.s.bg = { palette: c - 100 + 8 };
      else if (c === 49) this.s.bg = null;
      else if (c === 38 || c === 48) {
        let colour: Colour | undefined;
        if (p[i + 1] === 5) {
          const n = byte(String(p[i + 2]));
          colour = n === null ? undefined : n < 16 ? { palette: n } : { rgb: xterm256(n) };
          i += 2;
        } else if (p[i + 1] === 2) {
          const [r, g, b] = [byte(String(p[i + 2])), byte(String(p[i + 3])), byte(String(p[i + 4]))];
          colour = r === null || g === null || b === null ? undefined : { rgb: `rgb(${r}, ${g}, ${b})` };
          i += 4;
        } else break; // malformed: ignore the rest of this sequence
        if (colour === undefined) continue;
        if (c === 38) this.s.fg = colour;
        else this.s.bg = colour;
      }
    }
  }
}
