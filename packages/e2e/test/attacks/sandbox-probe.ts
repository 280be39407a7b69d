/**
 * The test script of a hostile project (`node probe.js`): it tries each attack a project command
 * could make on the agent's host and prints one `<attack>: blocked` or `<attack>: LEAKED <what>`
 * line each, then exits 0 (the project "passes" either way; the assertions read its log).
 */
export function probeScript(t: { marker: string; files: string[]; writeTo: string[]; sshSock: string; redisPort: number }): string {
  return `
const fs = require('node:fs');
const net = require('node:net');
const report = (name, leak) => console.log(name + ': ' + (leak ? 'LEAKED ' + leak : 'blocked'));
const marker = ${JSON.stringify(t.marker)};

// 1. The environment of every process it can see (the agent's holds the marker).
let environ = null;
for (const p of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
  try { if (fs.readFileSync('/proc/' + p + '/environ', 'latin1').includes(marker)) environ = 'pid ' + p; } catch {}
}
report('proc-environ', environ);

// 2. Other processes: the agent's node, redis-server, the test runner.
const others = [];
for (const p of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
  try { const c = fs.readFileSync('/proc/' + p + '/cmdline', 'latin1'); if (/redis-server|dist\\/main\\.js|vitest/.test(c)) others.push(p); } catch {}
}
report('other-processes', others.length ? others.length + ' visible' : null);

// 3. The SSH agent.
report('ssh-agent', process.env.SSH_AUTH_SOCK ? 'SSH_AUTH_SOCK=' + process.env.SSH_AUTH_SOCK : fs.existsSync(${JSON.stringify(t.sshSock)}) ? 'socket visible' : null);

// 4. Files outside the workspace: the orchestrator's env file (the Redis password), the agent's home.
const read = [];
for (const f of ${JSON.stringify(t.files)}) { try { if (fs.readFileSync(f, 'utf8').includes(marker)) read.push(f); } catch {} }
report('outside-files', read.length ? read.join(', ') : null);

// 5. Writing outside the workspace (the test checks on the host whether the files appeared: inside
// the sandbox a path under /tmp may be writable, but it is the sandbox's private temp dir).
for (const f of ${JSON.stringify(t.writeTo)}) { try { fs.writeFileSync(f, 'pwned'); } catch {} }
console.log('outside-write: attempted');

// 6. The network in a step without it: Redis on the host.
const s = net.connect(${t.redisPort}, '127.0.0.1');
const done = (leak) => { s.destroy(); report('network', leak); legit(); };
s.setTimeout(3000, () => done(null));
s.on('connect', () => done('connected to 127.0.0.1:${t.redisPort}'));
s.on('error', () => done(null));

// The legitimate part: the workspace and a temp dir are writable, the checkout readable.
function legit() {
  fs.writeFileSync('build-output.txt', 'ok');
  fs.writeFileSync(require('node:os').tmpdir() + '/scratch.txt', 'ok');
  console.log('legit: ' + JSON.parse(fs.readFileSync('package.json', 'utf8')).name + ' ok');
}
`;
}
