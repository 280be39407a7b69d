/** Messages between the benchmark driver and its child processes. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'done'; at: number; count: number }
  | { type: 'sample'; ms: number }
  | { type: 'result'; data: unknown };

export function send(m: ChildMessage): void {
  process.send?.(m);
}

/** The child's configuration, passed by the driver as JSON in BENCH_CONFIG. */
export function childConfig<T>(): T {
  return JSON.parse(process.env.BENCH_CONFIG ?? '{}') as T;
}

/** Exits when the driver goes away or tells us to stop. */
export function exitWithParent(onExit: () => Promise<void>): void {
  const bye = () => void onExit().finally(() => process.exit(0));
  process.on('disconnect', bye);
  process.on('SIGTERM', bye);
  process.on('message', (m: unknown) => {
    if (m === 'stop') bye();
  });
}
