import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StageFailure } from '@baton/runtime';
import { describeOutcome, runCommand, type CommandResult } from './run-command.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** A username and secret for an https remote, handed to git through GIT_ASKPASS (never on a command line or in a URL). */
export interface GitCredential {
  username: string;
  password: string;
}

export interface GitOptions {
  /** The allowlisted base environment; git settings are added to it. */
  env: Record<string, string>;
  identity: GitIdentity;
  /** Per git command. */
  timeoutMs: number;
  signal?: AbortSignal;
  credential?: GitCredential;
  /** Where the askpass helper is written (outside any checkout). */
  scratchDir: string;
  /** Secret values masked in captured output. */
  redact?: readonly string[];
  /** Let git use local paths and file: URLs (BATON_ALLOW_LOCAL_REPOS); otherwise its `file` transport is off. */
  allowLocal?: boolean;
}

/**
 * `git push` to a local repository runs that repository's receive-pack, and with it its hooks
 * (pre-receive, update, post-receive) as the agent's user. The agent never runs them: receive-pack
 * is started with hooks pointed at /dev/null (config given with -c does not reach a local
 * receive-pack, so it goes on its command line).
 */
const NO_HOOKS_RECEIVE_PACK = '--receive-pack=git -c core.hooksPath=/dev/null receive-pack';

/** A git command failed. Retryable: most failures are a remote that is briefly unreachable. */
export class GitError extends StageFailure {
  override name = 'GitError';
  constructor(message: string, details: Record<string, unknown>, retryable = true) {
    super('GIT_FAILED', message, { retryable, details });
  }
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$BATON_GIT_USERNAME" ;;
  *) printf '%s\\n' "$BATON_GIT_PASSWORD" ;;
esac
`;

/** Runs git with a fixed identity, no prompts, a timeout per command, and optional credentials. */
export class Git {
  private constructor(
    private readonly opts: GitOptions,
    private readonly env: Record<string, string>,
  ) {}

  static async create(opts: GitOptions): Promise<Git> {
    const env: Record<string, string> = {
      ...opts.env,
      GIT_TERMINAL_PROMPT: '0',
      // Transports a repository URL may use (never ext::, which runs commands).
      GIT_ALLOW_PROTOCOL: opts.allowLocal ? 'file:git:http:https:ssh' : 'git:http:https:ssh',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
      GIT_AUTHOR_NAME: opts.identity.name,
      GIT_AUTHOR_EMAIL: opts.identity.email,
      GIT_COMMITTER_NAME: opts.identity.name,
      GIT_COMMITTER_EMAIL: opts.identity.email,
    };
    if (opts.credential) {
      const helper = join(opts.scratchDir, 'git-askpass.sh');
      await writeFile(helper, ASKPASS, { mode: 0o700 });
      await chmod(helper, 0o700);
      Object.assign(env, { GIT_ASKPASS: helper, BATON_GIT_USERNAME: opts.credential.username, BATON_GIT_PASSWORD: opts.credential.password });
    }
    return new Git(opts, env);
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  /** Runs `git <args>` in `cwd`; never throws (see `must`). */
  run(args: readonly string[], cwd: string, timeoutMs = this.opts.timeoutMs): Promise<CommandResult> {
    const withArgs = args[0] === 'push' ? ['push', NO_HOOKS_RECEIVE_PACK, ...args.slice(1)] : args;
    // With a credential, redirects are not followed: git would answer the new host's 401 with the
    // same secret, carrying it past its scope (BATON_SECRET_*_SCOPE).
    const noRedirects = this.opts.credential ? ['-c', 'http.followRedirects=false'] : [];
    return runCommand('git', ['-c', 'advice.detachedHead=false', '-c', 'init.defaultBranch=main', '-c', 'core.hooksPath=/dev/null', ...noRedirects, ...withArgs], {
      cwd,
      env: this.env,
      timeoutMs,
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      redact: [...(this.opts.redact ?? []), ...(this.opts.credential ? [this.opts.credential.password] : [])],
      maxOutputBytes: 256 * 1024,
    });
  }

  /** Runs `git <args>` and returns its trimmed stdout; throws GitError when it fails. */
  async must(args: readonly string[], cwd: string, timeoutMs = this.opts.timeoutMs): Promise<string> {
    const r = await this.run(args, cwd, timeoutMs);
    if (!r.ok) throw gitFailure(args, r, timeoutMs);
    return r.stdout.trim();
  }
}

export function gitFailure(args: readonly string[], r: CommandResult, timeoutMs: number): GitError {
  const what = args.find((a) => !a.startsWith('-')) ?? 'git';
  const tail = r.output.trim().split('\n').slice(-8).join('\n');
  return new GitError(`git ${what} ${describeOutcome(r, timeoutMs)}: ${tail}`.slice(0, 4000), { command: `git ${what}`, exitCode: r.exitCode, output: tail.slice(0, 2000) });
}
