import { sandboxCommand, SandboxUnavailable, type Sandbox } from '@baton/agent-kit';
import type { Pm2App } from './pm2-client.js';

/**
 * The service as PM2 runs it, inside the sandbox: `env -i bwrap … <script>`, so that neither the PM2
 * daemon's environment (which PM2 merges into every app's) nor the agent's reaches it — with
 * bubblewrap the service's environment is set inside. This app's release tree is writable, the
 * agent's caches (its tools) readable, the network on.
 */
export function sandboxedApp(sandbox: Sandbox, app: Pm2App, access: { appRoot: string; readDirs: readonly string[] }): Pm2App {
  if (sandbox.unavailable) throw new SandboxUnavailable(sandbox.unavailable);
  if (sandbox.kind === 'off') return app;
  const file = app.interpreter === 'none' ? app.script : app.interpreter;
  const args = app.interpreter === 'none' ? app.args : [app.script, ...app.args];
  const cmd = sandboxCommand(sandbox, file, args, app.env, { cwd: access.appRoot, chdir: app.cwd, readDirs: access.readDirs, network: true });
  const envArgs = sandbox.kind === 'setpriv' ? Object.entries(app.env).map(([k, v]) => `${k}=${v}`) : [];
  return { ...app, script: '/usr/bin/env', args: ['-i', ...envArgs, cmd.file, ...cmd.args], interpreter: 'none' };
}
