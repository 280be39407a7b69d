import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BatonApiError, BatonClient } from '@baton/client';

/** Exit codes: 0 ok; 1 the run failed or the API refused; 2 bad usage; 3 orchestrator unreachable. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface GlobalOptions {
  url: string;
  apiKey?: string;
  apiKeyFile?: string;
  json?: boolean;
}

let warned = false;

/** The API key: --api-key-file, else BATON_API_KEY, else --api-key (with a warning: it shows in `ps`). */
export function apiKeyOf(cmd: Command): string | undefined {
  const g = globals(cmd);
  let root = cmd;
  while (root.parent) root = root.parent;
  if (g.apiKeyFile) {
    if (root.getOptionValueSource('apiKey') === 'cli') throw new UsageError('give either --api-key or --api-key-file, not both');
    try {
      const key = readFileSync(g.apiKeyFile, 'utf8').trim();
      if (!key) throw new UsageError(`--api-key-file ${g.apiKeyFile} is empty`);
      return key;
    } catch (e: unknown) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read --api-key-file ${g.apiKeyFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  if (g.apiKey && root.getOptionValueSource('apiKey') === 'cli' && !warned) {
    warned = true;
    process.stderr.write('warning: --api-key is visible to every user of this host (ps, /proc); use BATON_API_KEY or --api-key-file instead\n');
  }
  return g.apiKey || undefined;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function client(cmd: Command): BatonClient {
  const g = globals(cmd);
  const apiKey = apiKeyOf(cmd);
  return new BatonClient({ baseUrl: g.url, ...(apiKey ? { apiKey } : {}) });
}

/** Prints `data` as JSON (--json) or through `human`. */
export function output(cmd: Command, data: unknown, human: () => string): void {
  process.stdout.write(`${globals(cmd).json ? JSON.stringify(data, null, 2) : human()}\n`);
}

/** Wraps an action: API errors become a one-line message on stderr and an exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT.ok;
    } catch (e: unknown) {
      if (e instanceof BatonApiError) {
        const issues = e.issues.map((i) => `\n  ${i.path.join('.')}: ${i.message}`).join('');
        process.stderr.write(`error ${e.code}: ${e.message}${issues}\n`);
        process.exitCode = e.status === 0 ? EXIT.unreachable : EXIT.failed;
      } else if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n`);
        process.exitCode = EXIT.usage;
      } else {
        throw e;
      }
    }
  };
}

export class UsageError extends Error {}
