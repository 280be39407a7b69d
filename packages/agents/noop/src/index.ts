export { noopAgent } from './noop-agent.js';
export type { LedgerEntry } from './ledger.js';
