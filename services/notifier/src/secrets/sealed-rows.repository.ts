import { Injectable } from '@nestjs/common';
import { appendAudit, type AuditRecordInput } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** One subscription row as stored, for re-sealing. */
export interface StoredTargetRow {
  id: string;
  channel: string;
  target: Record<string, unknown>;
  targetSealed: string | null;
}

/** Which rows a re-sealing pass takes: those not sealed at all, or every row not under the current key. */
export type ResealScope = 'unsealed' | 'not-current';

/** How many subscription rows are not sealed, and how many are sealed under each key id. */
export interface SealCensus {
  unsealed: number;
  byKeyId: Record<string, number>;
}

/** SQL over the sealed columns of subscriptions: census and re-sealing in small transactions. */
@Injectable()
export class SealedRowsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Counts rows by sealing state. */
  async census(): Promise<SealCensus> {
    const rows: Array<{ key_id: string | null; n: number }> = await this.ds.query(
      `SELECT CASE WHEN target_sealed IS NULL THEN NULL ELSE split_part(target_sealed, ':', 2) END AS key_id,
              count(*)::int AS n
         FROM subscriptions GROUP BY 1`,
    );
    const census: SealCensus = { unsealed: 0, byKeyId: {} };
    for (const r of rows) {
      if (r.key_id === null) census.unsealed = r.n;
      else census.byKeyId[r.key_id] = r.n;
    }
    return census;
  }

  /**
   * Re-seals up to `limit` rows of `scope` (skipping `skipIds` and rows another transaction
   * holds) in one transaction: `reseal` gives each row's new stored target, or throws to leave
   * the row as it is. Returns the ids re-sealed and those `reseal` refused, with why.
   */
  async resealBatch(
    scope: ResealScope,
    currentKeyId: string,
    limit: number,
    skipIds: readonly string[],
    reseal: (row: StoredTargetRow) => { target: Record<string, unknown>; targetSealed: string },
  ): Promise<{ resealed: string[]; refused: Array<{ id: string; reason: string }> }> {
    return this.ds.transaction(async (m) => {
      const rows: Array<{
        id: string;
        channel: string;
        target: Record<string, unknown>;
        target_sealed: string | null;
      }> = await m.query(
        `SELECT id, channel, target, target_sealed FROM subscriptions
            WHERE (target_sealed IS NULL OR ($4::boolean AND split_part(target_sealed, ':', 2) <> $1::text))
              AND NOT (id::text = ANY($2::text[]))
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [currentKeyId, skipIds, limit, scope === 'not-current'],
      );
      const resealed: string[] = [];
      const refused: Array<{ id: string; reason: string }> = [];
      for (const r of rows) {
        let next: { target: Record<string, unknown>; targetSealed: string };
        try {
          next = reseal({ id: r.id, channel: r.channel, target: r.target, targetSealed: r.target_sealed });
        } catch (err) {
          refused.push({ id: r.id, reason: (err as Error).message });
          continue;
        }
        await m.query(`UPDATE subscriptions SET target = $2, target_sealed = $3 WHERE id = $1`, [
          r.id,
          JSON.stringify(next.target),
          next.targetSealed,
        ]);
        resealed.push(r.id);
      }
      return { resealed, refused };
    });
  }

  /** Appends one audit record in a transaction of its own. */
  async recordAudit(record: AuditRecordInput): Promise<void> {
    await this.ds.transaction((m) => appendAudit(m, record));
  }
}
