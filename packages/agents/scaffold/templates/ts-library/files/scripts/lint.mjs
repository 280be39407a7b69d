#!/usr/bin/env node
// A dependency-free linter for this project. Prints ESLint-style ("stylish") output and exits 1
// when it finds an error. Usage: node scripts/lint.mjs <dir>...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

const MAX_LINE = 160;
const DEBUGGER = new RegExp(`\\b${'debug'}ger\\b`);
const RULES = [
  { id: 'no-debugger', severity: 'error', test: (line) => DEBUGGER.test(line) && !/^\s*\/\//.test(line), message: 'Unexpected debugger statement' },
  { id: 'no-var', severity: 'error', test: (line) => /^\s*var\s/.test(line), message: 'Unexpected var, use let or const instead' },
  { id: 'no-trailing-spaces', severity: 'error', test: (line) => /[ \t]+$/.test(line), message: 'Trailing spaces not allowed' },
  { id: 'no-tabs', severity: 'error', test: (line) => /\t/.test(line), message: 'Unexpected tab character' },
  { id: 'max-len', severity: 'warning', test: (line) => line.length > MAX_LINE, message: `This line has more than ${MAX_LINE} characters` },
  { id: 'no-console-log', severity: 'warning', test: (line) => /\bconsole\.log\(/.test(line), message: 'Unexpected console.log' },
];

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (['.ts', '.js', '.mjs', '.cjs'].includes(extname(name))) out.push(path);
  }
  return out;
}

let errors = 0;
let warnings = 0;
for (const file of process.argv.slice(2).flatMap(files).sort()) {
  const text = readFileSync(file, 'utf8');
  const problems = [];
  text.split('\n').forEach((line, i) => {
    for (const rule of RULES) if (rule.test(line)) problems.push({ line: i + 1, col: 1, ...rule });
  });
  if (text.length > 0 && !text.endsWith('\n')) problems.push({ line: text.split('\n').length, col: 1, id: 'eol-last', severity: 'error', message: 'Newline required at end of file but not found' });
  if (problems.length === 0) continue;
  process.stdout.write(`\n${file}\n`);
  for (const p of problems) {
    if (p.severity === 'error') errors++;
    else warnings++;
    process.stdout.write(`  ${p.line}:${p.col}  ${p.severity}  ${p.message}  ${p.id}\n`);
  }
}
const total = errors + warnings;
if (total > 0) {
  process.stdout.write(`\n✖ ${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})\n`);
}
process.exit(errors > 0 ? 1 : 0);
