import { randomBytes } from 'node:crypto';

/** A fresh Baton namespace, so tests sharing one Redis never see each other's keys. */
export function testNamespace(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
