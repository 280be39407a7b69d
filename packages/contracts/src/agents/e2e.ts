import { z } from 'zod';
import { JsonValue } from '../json.js';
import { agentSpec } from './spec.js';
import { CommandLine, InstallMode, PlainEnv, RepoRef, RepoTarget, StepReport } from './repository.js';

const UrlPath = z.string().max(2000).regex(/^\/[^\s]*$/, 'a path starting with "/"');

/** What an HTTP check expects of the response body (all given conditions must hold). */
export const BodyMatch = z
  .object({
    /** The body contains this text. */
    contains: z.string().max(2000).optional(),
    /** The body matches this regular expression (RE2 syntax, matched in linear time: no lookaround or backreferences). */
    regex: z.string().max(500).optional(),
    /** The body is JSON and includes these fields with these values (deep subset). */
    json: z.record(z.string(), JsonValue).optional(),
  })
  .strict();
export type BodyMatch = z.infer<typeof BodyMatch>;

export const HttpCheck = z
  .object({
    name: z.string().max(100).optional(),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    path: UrlPath,
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(1000)).optional(),
    /** Sent as JSON unless it is a string. */
    body: JsonValue.optional(),
    expectStatus: z.int().min(100).max(599).default(200),
    expectBody: BodyMatch.optional(),
  })
  .strict();
export type HttpCheck = z.infer<typeof HttpCheck>;

export const E2eInput = z
  .object({
    repository: RepoTarget,
    install: InstallMode.default('auto'),
    installCommand: CommandLine.nullable().optional(),
    installTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    /** Absent: the package.json `build` script when there is one; null: no build. */
    build: CommandLine.nullable().optional(),
    buildTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
    start: z
      .object({
        /** Absent: the `start` script (run with the project's package manager). The app gets a free port in PORT (and HOST=127.0.0.1). */
        command: CommandLine.optional(),
        env: PlainEnv.default({}),
        /** The port the app listens on when it does not honour PORT; absent: PORT, else the port it listens on (its sockets) or prints. */
        port: z.int().min(1).max(65_535).nullable().optional(),
        /** Polled until it answers 2xx; absent/null: the app is ready when `GET /` answers anything below 500. */
        readyPath: UrlPath.nullable().optional(),
        readyTimeoutMs: z.int().min(500).max(600_000).default(60_000),
      })
      .strict()
      .default({ env: {}, readyTimeoutMs: 60_000 }),
    /** HTTP checks against the running app (default: GET <readyPath> answers 200, or GET / answers < 500 without a readyPath). */
    checks: z.array(HttpCheck).max(100).nullable().optional(),
    checkTimeoutMs: z.int().min(100).max(120_000).default(10_000),
    browser: z
      .object({
        /** auto: run when Chromium is installed, else report "skipped"; required: fail without it; off. */
        mode: z.enum(['auto', 'required', 'off']).default('auto'),
        path: UrlPath.default('/'),
        /** The page's text must contain this. */
        expectText: z.string().max(1000).optional(),
        timeoutMs: z.int().min(1000).max(300_000).default(30_000),
      })
      .strict()
      .default({ mode: 'auto', path: '/', timeoutMs: 30_000 }),
  })
  .strict();
export type E2eInput = z.infer<typeof E2eInput>;

export const CheckResult = z.object({
  name: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.enum(['passed', 'failed']),
  httpStatus: z.int().nullable(),
  durationMs: z.int().nonnegative(),
  reason: z.string().max(2000).optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const BrowserResult = z.object({
  status: z.enum(['passed', 'failed', 'skipped']),
  reason: z.string().max(2000).optional(),
  url: z.string().optional(),
  title: z.string().max(500).optional(),
  /** Artifact id of the PNG screenshot. */
  screenshot: z.string().nullable(),
  durationMs: z.int().nonnegative(),
});
export type BrowserResult = z.infer<typeof BrowserResult>;

export const E2eOutput = z.object({
  repository: RepoRef,
  passed: z.boolean(),
  /** Where the app listened during the stage (it is stopped before the stage ends). */
  baseUrl: z.string(),
  steps: z.array(StepReport),
  checks: z.array(CheckResult),
  browser: BrowserResult,
  /** Artifact id of the app's captured output. */
  appLog: z.string().nullable(),
});
export type E2eOutput = z.infer<typeof E2eOutput>;

export const e2eSpec = agentSpec({
  type: 'e2e',
  description: 'Starts the app on a free port and runs HTTP checks and a browser check against it',
  input: E2eInput,
  output: E2eOutput,
  concurrency: 1,
});
