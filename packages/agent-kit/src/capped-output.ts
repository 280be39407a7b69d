/**
 * Collects a stream of output up to `maxBytes`, keeping its beginning and its end (where test
 * summaries and errors usually are); what falls in between is counted, not kept.
 */
export class CappedOutput {
  private readonly headMax: number;
  private readonly tailMax: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte pushed, kept or not. */
  total = 0;

  constructor(maxBytes: number) {
    this.headMax = Math.floor(maxBytes / 2);
    this.tailMax = maxBytes - this.headMax;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = rest.subarray(0, this.headMax - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    if (this.tailBytes > this.tailMax * 2) this.compactTail();
  }

  private compactTail(): void {
    const all = Buffer.concat(this.tail);
    const kept = all.subarray(Math.max(0, all.length - this.tailMax));
    this.tail = [kept];
    this.tailBytes = kept.length;
  }

  get truncated(): boolean {
    return this.total > this.headMax + this.tailMax;
  }

  toString(): string {
    if (this.tailBytes > this.tailMax) this.compactTail();
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (!this.truncated) return head + tail;
    const omitted = this.total - this.headBytes - this.tailBytes;
    return `${head}\n… [${omitted} bytes omitted] …\n${tail}`;
  }
}
