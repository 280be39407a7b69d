import type { RunQuery } from '@baton/client';
import type { RunStatus } from '@baton/contracts';
import { InvalidArgumentError, type Command } from 'commander';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `2h`, `7d` → milliseconds; an ISO instant is taken as is. */
export function instantOf(value: string, now = Date.now()): string {
  const m = /^(\d+)([smhd])$/.exec(value);
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]!]!).toISOString();
  if (!Number.isNaN(Date.parse(value)) && /^\d{4}-/.test(value)) return new Date(value).toISOString();
  throw new InvalidArgumentError('a duration ago (90s, 15m, 2h, 7d) or an ISO time');
}

const collectLabel = (value: string, prev: string[] = []) => {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError('a label is key=value');
  return [...prev, `${value.slice(0, i)}:${value.slice(i + 1)}`];
};

/** The run filters `runs ls` and the bulk commands share. */
export function addRunFilterOptions(cmd: Command): Command {
  return cmd
    .option('--status <status>', 'queued|running|waiting|paused|succeeded|failed|cancelled')
    .option('--pipeline <name>')
    .option('--pipeline-version <n>', 'with --pipeline', (v) => Number(v))
    .option('--label <key=value>', 'repeat for several (all must match)', collectLabel)
    .option('--created-by <keyId>', 'API key id of the submitter')
    .option('--since <when>', 'created at or after: 2h, 30m, 7d or an ISO time', (v) => instantOf(v))
    .option('--until <when>', 'created before: 2h, 30m, 7d or an ISO time', (v) => instantOf(v));
}

export interface RunFilterOptions {
  status?: string;
  pipeline?: string;
  pipelineVersion?: number;
  label?: string[];
  createdBy?: string;
  since?: string;
  until?: string;
}

export function runFilterOf(o: RunFilterOptions): RunQuery {
  return {
    status: o.status as RunStatus | undefined,
    pipeline: o.pipeline,
    pipelineVersion: o.pipelineVersion,
    label: o.label,
    createdBy: o.createdBy,
    createdAfter: o.since,
    createdBefore: o.until,
  };
}
