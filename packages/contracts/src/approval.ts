import { z } from 'zod';
import { Role, roleAtLeast } from './auth.js';
import { resolveRefs, type ResolveContext } from './refs.js';

/** The agent type an approval stage carries: reserved, no agent of this type may register. */
export const APPROVAL_AGENT = 'approval';

/**
 * An approval gate: the stage takes no job; it waits (status `waiting`) until a person allowed by
 * `approvers` approves or rejects it over the API, or `timeoutMs` passes.
 */
export const ApprovalSpec = z
  .object({
    /**
     * Shown to approvers (run page banner, `baton runs show`). `{{ input.a }}` and
     * `{{ stages.<upstream>.output.b }}` are replaced when the stage starts waiting.
     */
    message: z.string().min(1).max(2000).default('Approve this stage to continue the run'),
    /** Who may decide: keys of any of these roles, or these key ids. Empty = operators and admins. */
    approvers: z
      .object({
        roles: z.array(Role).max(4).default([]),
        keyIds: z.array(z.string().min(1).max(100)).max(100).default([]),
      })
      .strict()
      .default({ roles: [], keyIds: [] }),
    /** May the key that submitted the run approve it? Off by default (four-eyes). */
    allowSelfApproval: z.boolean().default(false),
    /** How long to wait for a decision; null = forever. */
    timeoutMs: z.int().min(1000).max(30 * 86_400_000).nullable().default(null),
    /** What a timeout means: the stage fails (`fail`, code APPROVAL_TIMEOUT) or counts as rejected (`reject`). */
    onTimeout: z.enum(['fail', 'reject']).default('fail'),
  })
  .strict();
export type ApprovalSpec = z.infer<typeof ApprovalSpec>;

/** POST /v1/runs/:id/stages/:stage/approve|reject body. */
export const ApprovalDecisionRequest = z.object({ comment: z.string().max(2000).optional() }).strict();
export type ApprovalDecisionRequest = z.infer<typeof ApprovalDecisionRequest>;

/** The output of a decided approval stage (and the details of a rejection error). */
export const ApprovalOutput = z.object({
  decision: z.enum(['approved', 'rejected', 'timed-out']),
  /** API key id of the approver (null when auth is disabled or on timeout). */
  by: z.string().nullable(),
  role: Role.nullable(),
  at: z.string(),
  comment: z.string().nullable(),
});
export type ApprovalOutput = z.infer<typeof ApprovalOutput>;

const TEMPLATE = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** The `$from`-style paths an approval message's `{{ ... }}` placeholders reference. */
export function messageRefs(message: string): string[] {
  return [...message.matchAll(TEMPLATE)].map((m) => m[1]!);
}

/** An approval message with its placeholders replaced (strings as is, other values as JSON, absent as "?"). */
export function renderMessage(message: string, ctx: ResolveContext): string {
  return message.replace(TEMPLATE, (_, ref: string) => {
    const { value, missing } = resolveRefs({ $from: ref }, ctx);
    if (missing.length > 0) return '?';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * Why `actor` may not decide on an approval gate of a run `createdBy` submitted, or null when it
 * may: the self-approval rule, then the approvers (both lists empty = operators and admins). Used
 * by the engine (403) and by the dashboard (its approve buttons and "waiting on me" filter).
 */
export function approvalDenial(spec: ApprovalSpec, createdBy: string | null, actor: { keyId: string | null; role: Role }): string | null {
  if (!spec.allowSelfApproval && createdBy !== null && createdBy === actor.keyId) {
    return `key ${actor.keyId} submitted the run and may not decide on its own approval (allowSelfApproval is off)`;
  }
  const { roles, keyIds } = spec.approvers;
  const listed = (actor.keyId !== null && keyIds.includes(actor.keyId)) || roles.some((r) => roleAtLeast(actor.role, r));
  const byDefault = roles.length === 0 && keyIds.length === 0 && roleAtLeast(actor.role, 'operator');
  return listed || byDefault ? null : `key ${actor.keyId ?? '(bootstrap)'} (${actor.role}) is not an approver of this stage`;
}
