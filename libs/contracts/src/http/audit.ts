import { z } from 'zod';
import { RoleSchema } from '../auth';
import { LimitParam } from './common';

const SINCE_MESSAGE =
  'since must be a duration such as 30m, 12h or 7d, or an RFC 3339 time such as 2026-01-01T00:00:00Z';

/** `since` of `GET /v1/audit`: a duration back from now (`30m`, `12h`, `7d`, `2w`) or an RFC 3339 time. */
export const AuditSince = z
  .string()
  .regex(/^(\d{1,6}[mhdw]|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?)$/, { message: SINCE_MESSAGE });

/** The instant `since` names, counted back from `now` (ms since the epoch). */
export function auditSinceInstant(since: string, now: number): Date {
  const m = /^(\d+)([mhdw])$/.exec(since);
  if (!m) return new Date(since);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return new Date(now - Number(m[1]) * unit);
}

/** Query of `GET /v1/audit`: records newest first, narrowed by time, actor and action. */
export const ListAuditQuery = z
  .object({
    /** Only records at or after this (default: all). */
    since: AuditSince.optional().describe(SINCE_MESSAGE),
    /** Only records of this actor: a token id or name, or a service name for the system. */
    actor: z.string().min(1).max(200).optional().describe('a token id or name, or a service name'),
    /** Only this action (`rollout.create`), or every action of a kind with a trailing dot (`rollout.`). */
    action: z
      .string()
      .regex(/^[a-z][a-z0-9.-]{0,99}$/, {
        message: 'action must look like rollout.create, or rollout. for all of a kind',
      })
      .optional(),
    /** How many, newest first (1..200, default 50). */
    limit: LimitParam,
  })
  .strict();
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;

/** One audit record as the API shows it. */
export const AuditRecordView = z.object({
  /** Position in the chain (1, 2, 3, …). */
  id: z.string(),
  /** When (RFC 3339). */
  at: z.string(),
  /** Who: a token (its id and name, never a typed name) or the control plane (`system`, the service's name). */
  actor: z.object({ kind: z.string(), id: z.string(), name: z.string() }),
  /** The token's role; null for the system or a request without a valid token. */
  role: RoleSchema.nullable(),
  /** What was done, e.g. `rollout.create`, `lock.release`, `request.refused`. */
  action: z.string(),
  /** What it was done to. */
  target: z.string(),
  /** The request's parameters, secrets removed. */
  params: z.record(z.string(), z.unknown()),
  /** The client's address; null for the system. */
  source: z.string().nullable(),
  /** `ok`, `refused` or `failed`. */
  outcome: z.string(),
  /** The previous record's hash. */
  prevHash: z.string(),
  /** This record's hash (SHA-256 of its canonical JSON). */
  hash: z.string(),
});
export type AuditRecordView = z.infer<typeof AuditRecordView>;

/** `GET /v1/audit/verify`: whether the whole chain is intact, or the first record that was altered or removed. */
export const AuditVerifyResult = z.object({
  /** True when every record matches its hash and links to its predecessor, without gaps. */
  ok: z.boolean(),
  /** Records checked before the first fault (all of them when intact). */
  records: z.number().int(),
  /** The last record's id and hash when intact: keep them outside Lockstep to detect a rewritten tail later. */
  head: z.object({ id: z.string(), hash: z.string() }).nullable(),
  /** The first bad record when broken: its id and whether it was `altered` or `removed`. */
  firstBad: z.object({ id: z.string(), fault: z.enum(['altered', 'removed']) }).nullable(),
  /** What is wrong, naming the record; null when intact. */
  detail: z.string().nullable(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
