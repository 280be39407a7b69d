import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { PipelineDefinitionInput } from '@baton/contracts';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { action, client, EXIT, output, UsageError } from '../cli-context.js';
import { diffDefinitions, renderChanges } from '../definition-diff.js';
import { readJsonArg } from './run.js';

export function registerPipelines(program: Command): void {
  const pipelines = program.command('pipelines').description('registered pipeline definitions');

  pipelines
    .command('ls')
    .description('latest version of every pipeline')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const list = await client(cmd).pipelines.list();
        output(cmd, list, () => {
          const t = new Table({ head: ['name', 'version', 'stages', 'registered', 'description'] });
          for (const p of list.items) t.push([p.name, p.version, p.definition.stages.map((s) => s.name).join(' → '), p.createdAt, p.definition.description ?? '']);
          return t.toString();
        });
      }),
    );

  pipelines
    .command('show <name>')
    .option('--version <n>', 'a specific version', (v) => Number(v))
    .action(
      action(async (name: string, opts: { version?: number }, cmd: Command) => {
        const p = await client(cmd).pipelines.get(name, opts.version ? { version: opts.version } : {});
        output(cmd, p, () => JSON.stringify(p, null, 2));
      }),
    );

  pipelines
    .command('push <file>')
    .description('register a pipeline definition (JSON: { "stages": [...] }); a new version only when it changed')
    .option('--name <name>', 'pipeline name (default: the file name without extension)')
    .action(
      action(async (file: string, opts: { name?: string }, cmd: Command) => {
        const name = opts.name ?? basename(file, extname(file));
        if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new UsageError(`"${name}" is not a valid pipeline name; pass --name`);
        const { pipeline: p, created } = await client(cmd).pipelines.put(name, readJsonArg(file, file) as PipelineDefinitionInput);
        output(cmd, p, () => `${p.name} v${p.version} (${p.definition.stages.length} stages)${created ? '' : ', unchanged'}`);
      }),
    );

  pipelines
    .command('export <name>')
    .description('write a version\'s definition exactly as `pipelines push` takes it (stdout, or --output)')
    .option('--version <n>', 'a specific version (default: the latest)', (v) => Number(v))
    .option('-o, --output <file>', 'write to this file')
    .action(
      action(async (name: string, opts: { version?: number; output?: string }, cmd: Command) => {
        const p = await client(cmd).pipelines.get(name, opts.version ? { version: opts.version } : {});
        const text = `${JSON.stringify(p.definition, null, 2)}\n`;
        if (opts.output) writeFileSync(opts.output, text);
        else process.stdout.write(text);
      }),
    );

  pipelines
    .command('diff <name> <v1> <v2>')
    .description('what changed between two versions (exit 1 when they differ)')
    .action(
      action(async (name: string, v1: string, v2: string, _opts: unknown, cmd: Command) => {
        const version = (v: string) => {
          if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`"${v}" is not a version number`);
          return Number(v);
        };
        const api = client(cmd);
        const [a, b] = await Promise.all([api.pipelines.get(name, { version: version(v1) }), api.pipelines.get(name, { version: version(v2) })]);
        const changes = diffDefinitions(a.definition, b.definition);
        output(cmd, { name, from: a.version, to: b.version, changes }, () => renderChanges(changes));
        return changes.length === 0 ? EXIT.ok : EXIT.failed;
      }),
    );
}
