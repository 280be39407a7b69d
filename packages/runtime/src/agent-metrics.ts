import type { ModelUsage } from '@baton/contracts';
import { collectNodeMetrics } from '@baton/platform';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type TaskOutcome = 'succeeded' | 'failed' | 'retried' | 'handed_back';

/** An agent process's own metrics (served on BATON_METRICS_PORT + NODE_APP_INSTANCE when set). */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly tasks: Counter;
  private readonly duration: Histogram;
  private readonly recoveries: Counter;
  private readonly modelTokens: Counter;
  private readonly modelCost: Counter;

  constructor(
    private readonly agentType: string,
    activeTasks: () => number,
  ) {
    collectNodeMetrics(this.registry);
    this.tasks = new Counter({
      name: 'baton_agent_tasks_total',
      help: 'Tasks this agent process finished, by outcome',
      labelNames: ['agent', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'baton_agent_task_duration_seconds',
      help: 'Handler time per task attempt on this agent process, by outcome',
      labelNames: ['agent', 'outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [this.registry],
    });
    this.recoveries = new Counter({
      name: 'baton_agent_worker_recoveries_total',
      help: 'Times the watchdog found this agent deaf (jobs ready, slots free, none taken) and reconnected its worker',
      labelNames: ['agent'],
      registers: [this.registry],
    });
    this.recoveries.inc({ agent: agentType }, 0);
    this.modelTokens = new Counter({
      name: 'baton_agent_model_tokens_total',
      help: 'Model tokens this agent process used, by pipeline, agent, model and kind (input|output)',
      labelNames: ['pipeline', 'agent', 'model', 'kind'],
      registers: [this.registry],
    });
    this.modelCost = new Counter({
      name: 'baton_agent_model_cost_total',
      help: 'Model cost in USD (from the configured price table) this agent process incurred, by pipeline, agent and model',
      labelNames: ['pipeline', 'agent', 'model'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'baton_agent_active_tasks',
      help: 'Tasks this agent process is running',
      labelNames: ['agent'],
      registers: [this.registry],
      collect() {
        this.set({ agent: agentType }, activeTasks());
      },
    });
  }

  workerRecovered(): void {
    this.recoveries.inc({ agent: this.agentType });
  }

  modelCall(pipeline: string, model: string, u: ModelUsage): void {
    const labels = { pipeline, agent: this.agentType, model };
    this.modelTokens.inc({ ...labels, kind: 'input' }, u.inputTokens);
    this.modelTokens.inc({ ...labels, kind: 'output' }, u.outputTokens);
    this.modelCost.inc(labels, u.costUsd);
  }

  /** Per outcome, the labelled children (looking labels up on every task showed in profiles). */
  private readonly byOutcome = new Map<TaskOutcome, { tasks: Counter.Internal; duration: Histogram.Internal<string> }>();

  taskFinished(outcome: TaskOutcome, seconds: number): void {
    let m = this.byOutcome.get(outcome);
    if (!m) {
      const labels = { agent: this.agentType, outcome };
      m = { tasks: this.tasks.labels(labels), duration: this.duration.labels(labels) };
      this.byOutcome.set(outcome, m);
    }
    m.tasks.inc();
    m.duration.observe(seconds);
  }
}
