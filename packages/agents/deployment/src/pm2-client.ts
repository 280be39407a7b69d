import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** How PM2 runs one service. */
export interface Pm2App {
  name: string;
  script: string;
  args: string[];
  /** An absolute node binary, or "none" to exec `script` itself. */
  interpreter: string;
  cwd: string;
  env: Record<string, string>;
  outFile: string;
  errorFile: string;
}

export interface Pm2Status {
  status: string;
  pid: number | null;
  restarts: number;
}

interface Pm2Description {
  pid?: number;
  pm2_env?: { status?: string; restart_time?: number };
}

/** The slice of PM2's programmatic API used here (its bundled typings do not declare `custom`). */
interface Pm2Api {
  connect(cb: (err?: Error | null) => void): void;
  disconnect(): void;
  start(app: Record<string, unknown>, cb: (err: Error | null) => void): void;
  delete(name: string, cb: (err: Error | null) => void): void;
  describe(name: string, cb: (err: Error | null, list?: Pm2Description[]) => void): void;
  killDaemon(cb: (err: Error | null) => void): void;
}

type Pm2Ctor = new (opts: { pm2_home: string; daemon_mode: boolean }) => Pm2Api;

const require = createRequire(import.meta.url);

function call<T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

/**
 * PM2 through its programmatic API, with its own home (daemon, sockets, dump) so deployed services
 * never mix with another PM2 on the host. The daemon outlives the agent: services keep running.
 */
export class Pm2Client {
  private constructor(private readonly api: Pm2Api) {}

  static async connect(home: string): Promise<Pm2Client> {
    const Custom = (require('pm2') as { custom: Pm2Ctor }).custom;
    const api = new Custom({ pm2_home: home, daemon_mode: true });
    await call((cb) => api.connect(cb));
    return new Pm2Client(api);
  }

  async status(name: string): Promise<Pm2Status | null> {
    const list = (await call<Pm2Description[]>((cb) => this.api.describe(name, cb))) ?? [];
    const d = list[0];
    if (!d) return null;
    return { status: d.pm2_env?.status ?? 'unknown', pid: d.pid || null, restarts: d.pm2_env?.restart_time ?? 0 };
  }

  /**
   * (Re)starts a service with exactly this configuration. An existing process of that name is
   * deleted first: PM2's in-place restart would keep the old script path and merge the agent's own
   * environment back into the service's.
   */
  async replace(app: Pm2App): Promise<void> {
    await this.remove(app.name);
    await call((cb) =>
      this.api.start(
        {
          name: app.name,
          script: app.script,
          args: app.args,
          interpreter: app.interpreter,
          cwd: app.cwd,
          env: app.env,
          filter_env: true,
          exec_mode: 'fork',
          instances: 1,
          autorestart: true,
          max_restarts: 3,
          min_uptime: 2000,
          restart_delay: 500,
          kill_timeout: 3000,
          treekill: true,
          watch: false,
          out_file: app.outFile,
          error_file: app.errorFile,
          merge_logs: true,
          time: true,
        },
        cb,
      ),
    );
  }

  async remove(name: string): Promise<void> {
    if (!(await this.status(name))) return;
    await call((cb) => this.api.delete(name, cb));
  }

  disconnect(): void {
    this.api.disconnect();
  }

  /** Stops the daemon and every service it runs (tests, dev-stack teardown). */
  static async killDaemon(home: string): Promise<void> {
    const client = await Pm2Client.connect(home);
    await call((cb) => client.api.killDaemon(cb)).catch(() => undefined);
    client.disconnect();
  }

  /** The same, synchronously, through PM2's CLI (for an 'exit' hook). `env` needs PATH. */
  static killDaemonSync(home: string, env: Record<string, string>): void {
    spawnSync(process.execPath, [require.resolve('pm2/bin/pm2'), 'kill'], { env: { ...env, PM2_HOME: home }, stdio: 'ignore', timeout: 20_000 });
  }
}
