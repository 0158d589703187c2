import { createHash } from 'node:crypto';

/** The `prevHash` of the first record: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** The fields of a record that its hash covers, in the form they are stored. */
export interface HashedAuditFields {
  id: string;
  at: Date;
  actorKind: string;
  actorId: string;
  actorName: string;
  role: string | null;
  action: string;
  target: string;
  params: Record<string, unknown>;
  source: string | null;
  outcome: string;
  prevHash: string;
}

/**
 * JSON with object keys sorted at every depth and no whitespace, so a record hashes the same
 * after a round trip through jsonb (which reorders keys).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of a record's canonical JSON, `prevHash` included: the link of the chain. */
export function auditRecordHash(r: HashedAuditFields): string {
  const fields: HashedAuditFields = {
    id: String(r.id),
    at: new Date(r.at),
    actorKind: r.actorKind,
    actorId: r.actorId,
    actorName: r.actorName,
    role: r.role,
    action: r.action,
    target: r.target,
    params: r.params,
    source: r.source,
    outcome: r.outcome,
    prevHash: r.prevHash,
  };
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}
