import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * How project commands (install scripts, test suites, start commands, post-merge commands) are
 * isolated from the agent: `bwrap` (bubblewrap: new user/PID/IPC/UTS namespaces, only the workspace
 * and a private temp dir writable), `setpriv` (a dedicated unprivileged user, where bubblewrap is
 * missing and the agent runs as root), or `off` (no isolation — only when BATON_SANDBOX=off).
 */
export type SandboxKind = 'bwrap' | 'setpriv' | 'off';

export interface Sandbox {
  kind: SandboxKind;
  /** For `setpriv`: the user project commands run as. */
  user?: string;
  /** Why no sandbox is available (set when project commands must be refused). */
  unavailable?: string;
}

/** What one sandboxed command may reach besides its working directory. */
export interface SandboxAccess {
  /** Writable; the command starts in it unless `chdir` says otherwise. */
  cwd: string;
  /** The directory the command starts in (inside `cwd`). */
  chdir?: string;
  readDirs?: readonly string[] | undefined;
  writeDirs?: readonly string[] | undefined;
  /** Network access (install steps, apps under test); other steps get a private network namespace with loopback only. */
  network: boolean;
}

export const BWRAP = '/usr/bin/bwrap';
const SETPRIV = '/usr/bin/setpriv';

/** System directories mounted read-only (those that exist). */
const SYSTEM_DIRS = ['/usr', '/opt', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** The parts of /etc programs need (name resolution, users, certificates, time zones) — not the whole of it. */
const ETC_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/passwd', '/etc/group', '/etc/ssl', '/etc/ca-certificates', '/etc/pki', '/etc/alternatives', '/etc/localtime', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/gitconfig', '/etc/npmrc'];

function bwrapWorks(): boolean {
  if (!existsSync(BWRAP)) return false;
  const r = spawnSync(BWRAP, ['--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', '--proc', '/proc', '/bin/true'], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

function setprivWorks(user: string): boolean {
  if (!existsSync(SETPRIV) || process.getuid?.() !== 0) return false;
  const r = spawnSync(SETPRIV, [`--reuid=${user}`, `--regid=${user}`, '--clear-groups', '--no-new-privs', '/bin/true'], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/**
 * Chooses the sandbox once at start-up. `auto` takes bubblewrap, else `setpriv` with `user`, else
 * none — and then project commands are refused (`unavailable` says why). `off` is explicit.
 */
export function resolveSandbox(mode: 'auto' | SandboxKind, user: string): Sandbox {
  if (mode === 'off') {
    process.stderr.write('\n*** WARNING: BATON_SANDBOX=off — project commands (install scripts, tests, start commands) run unisolated, as this agent\'s user, and can read its credentials. Never do this with untrusted repositories. ***\n\n');
    return { kind: 'off' };
  }
  if ((mode === 'auto' || mode === 'bwrap') && bwrapWorks()) return { kind: 'bwrap' };
  if ((mode === 'auto' || mode === 'setpriv') && setprivWorks(user)) return { kind: 'setpriv', user };
  const tried = mode === 'auto' ? `bubblewrap (${BWRAP}) and setpriv as user ${user}` : mode === 'bwrap' ? `bubblewrap (${BWRAP})` : `setpriv as user ${user} (needs root)`;
  return { kind: 'off', unavailable: `no sandbox for project commands: ${tried} did not work; install bubblewrap, or set BATON_SANDBOX=off to run project code unisolated` };
}

/** `dir` and, when it is a symlink (e.g. /lib -> usr/lib), what it points to. */
function mountFor(dir: string): string[] {
  const s = lstatSync(dir, { throwIfNoEntry: false });
  if (!s) return [];
  if (s.isSymbolicLink()) return ['--symlink', readlinkSync(dir), dir];
  return ['--ro-bind', dir, dir];
}

/** The installation prefix of the Node running the agent, when it lies outside the system dirs (nvm, a tarball). */
function nodePrefix(): string[] {
  const prefix = dirname(dirname(process.execPath));
  return SYSTEM_DIRS.some((d) => prefix === d || prefix.startsWith(`${d}/`)) ? [] : [prefix];
}

export interface SandboxedCommand {
  file: string;
  args: string[];
  /** The environment to spawn `file` with (bubblewrap's own is empty: inside, it is PID 1 and its environ is readable). */
  env: Record<string, string>;
  /** Where the private temp dir lives on the host (removed by the caller), if one was made. */
  tempDir?: string;
}

/**
 * Wraps `file args` in the sandbox: with bubblewrap, a fresh root with the system directories
 * read-only, the working directory, `writeDirs` and a private /tmp (also HOME) writable, `readDirs`
 * read-only, a new /proc of its own PID namespace, no other process visible, no network unless
 * `access.network`, and exactly `env` as its environment. With setpriv, the command runs as the
 * sandbox user without extra privileges.
 */
export function sandboxCommand(sandbox: Sandbox, file: string, args: readonly string[], env: Record<string, string>, access: SandboxAccess): SandboxedCommand {
  if (sandbox.kind === 'off') return { file, args: [...args], env };
  if (sandbox.kind === 'setpriv') {
    const user = sandbox.user ?? 'nobody';
    return { file: SETPRIV, args: [`--reuid=${user}`, `--regid=${user}`, '--clear-groups', '--no-new-privs', '--', file, ...args], env };
  }
  const tempDir = mkdtempSync(join(tmpdir(), 'baton-sandbox-'));
  const inner: Record<string, string> = { ...env, HOME: '/tmp', TMPDIR: '/tmp' };
  delete inner.SSH_AUTH_SOCK;
  const a: string[] = [
    '--unshare-user', '--uid', '1000', '--gid', '1000',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(access.network ? [] : ['--unshare-net']),
    '--die-with-parent', '--hostname', 'sandbox',
  ];
  for (const d of SYSTEM_DIRS) a.push(...mountFor(d));
  for (const f of ETC_FILES) if (existsSync(f)) a.push('--ro-bind', f, f);
  for (const d of nodePrefix()) a.push('--ro-bind', d, d);
  a.push('--proc', '/proc', '--dev', '/dev', '--bind', tempDir, '/tmp');
  for (const d of access.readDirs ?? []) if (existsSync(d)) a.push('--ro-bind', d, d);
  for (const d of access.writeDirs ?? []) {
    mkdirSync(d, { recursive: true });
    a.push('--bind', d, d);
  }
  a.push('--bind', access.cwd, access.cwd, '--chdir', access.chdir ?? access.cwd, '--clearenv');
  for (const [k, v] of Object.entries(inner)) a.push('--setenv', k, v);
  a.push('--', file, ...args);
  return { file: BWRAP, args: a, env: {}, tempDir };
}
