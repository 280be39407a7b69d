import { Role } from '@baton/contracts';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, output, UsageError } from '../cli-context.js';

/** `30d`, `12h`, `90m` or an ISO date → ISO date. */
function expiry(value: string): string {
  const m = /^(\d+)([dhm])$/.exec(value);
  if (m) return new Date(Date.now() + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--expires wants 30d, 12h, 90m or a date, got "${value}"`);
  return new Date(value).toISOString();
}

function role(value: string): Role {
  const r = Role.safeParse(value);
  if (!r.success) throw new UsageError(`--role wants ${Role.options.join(' | ')}, got "${value}"`);
  return r.data;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys (admin): create, list, revoke');

  keys
    .command('create')
    .description('create a key; its secret is printed once')
    .requiredOption('--name <name>', 'who or what uses it')
    .requiredOption('--role <role>', 'viewer | submitter | operator | admin')
    .option('--expires <when>', 'e.g. 30d, 12h, or a date')
    .action(
      action(async (opts: { name: string; role: string; expires?: string }, cmd: Command) => {
        const k = await client(cmd).keys.create({ name: opts.name, role: role(opts.role), ...(opts.expires ? { expiresAt: expiry(opts.expires) } : {}) });
        output(cmd, k, () => `${k.key}\n(id ${k.id}, role ${k.role}${k.expiresAt ? `, expires ${k.expiresAt}` : ''}) — store it now: it is not shown again`);
      }),
    );

  keys
    .command('ls')
    .description('every key (never the secrets)')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).keys.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['id', 'name', 'role', 'created', 'expires', 'revoked', 'last used'] });
          for (const k of list.items) t.push([k.id, k.name, k.role, k.createdAt, k.expiresAt ?? '', k.revokedAt ?? '', k.lastUsedAt ?? '']);
          return t.toString();
        });
      }),
    );

  keys
    .command('revoke <id>')
    .description('revoke a key at once, on every orchestrator')
    .action(
      action(async (id: string, _opts: unknown, cmd: Command) => {
        const k = await client(cmd).keys.revoke(id);
        output(cmd, k, () => `${k.id} (${k.name}) revoked at ${k.revokedAt}`);
      }),
    );
}
