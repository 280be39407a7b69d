/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();
