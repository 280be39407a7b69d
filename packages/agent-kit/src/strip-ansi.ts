// eslint-disable-next-line no-control-regex -- terminal escape sequences are exactly what is matched
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Removes terminal colour and cursor escape sequences (some tools colour output even without a TTY). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
