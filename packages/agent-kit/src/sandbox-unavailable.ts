import { NonRetryableError } from '@baton/runtime';

/** A project command was refused: no sandbox works on this host and BATON_SANDBOX=off was not set. */
export class SandboxUnavailable extends NonRetryableError {
  override name = 'SandboxUnavailable';
  constructor(reason: string) {
    super('SANDBOX_UNAVAILABLE', reason);
  }
}
