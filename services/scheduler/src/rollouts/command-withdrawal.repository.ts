import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NODE_STATUS_ON_TIMEOUT } from './rollout-state-machine';
import { rowsOf } from './sql-rows';

/** An install to delete from COMMANDS: the node's, in that rollout, at stream sequence `seq`. */
export interface PendingWithdrawal {
  rolloutId: string;
  nodeId: string;
  seq: number;
}

/**
 * Where each node's command lies in the COMMANDS stream, and which timed-out installs are still
 * to be withdrawn (`rollout_nodes.withdraw_seq`, set by RolloutRepository.markTimedOut). A row
 * stays queued until NATS confirmed the delete, so any replica retries a withdrawal that failed.
 */
@Injectable()
export class CommandWithdrawalRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records where each published command lies (matched by its command id, so a newer command's
   * record is never overwritten). A node that timed out before its sequence was recorded gets
   * its withdrawal queued here.
   */
  async recordSeqs(rolloutId: string, sent: Array<{ nodeId: string; commandId: string; seq: number }>): Promise<void> {
    if (sent.length === 0) return;
    await this.ds.query(
      `UPDATE rollout_nodes n SET command_seq = u.seq,
         withdraw_seq = CASE WHEN n.status = $5 THEN u.seq ELSE n.withdraw_seq END
       FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(node_id, command_id, seq)
       WHERE n.rollout_id = $1 AND n.node_id = u.node_id AND n.command_id = u.command_id`,
      [
        rolloutId,
        sent.map((s) => s.nodeId),
        sent.map((s) => s.commandId),
        sent.map((s) => s.seq),
        NODE_STATUS_ON_TIMEOUT.install,
      ],
    );
  }

  /** Commands still to withdraw, oldest first, at most `limit`. */
  async pending(limit = 100): Promise<PendingWithdrawal[]> {
    const rows = rowsOf<{ rollout_id: string; node_id: string; withdraw_seq: string }>(
      await this.ds.query(
        `SELECT rollout_id, node_id, withdraw_seq FROM rollout_nodes WHERE withdraw_seq IS NOT NULL ORDER BY withdraw_seq LIMIT $1`,
        [limit],
      ),
    );
    return rows.map((r) => ({ rolloutId: r.rollout_id, nodeId: r.node_id, seq: Number(r.withdraw_seq) }));
  }

  /** The command at `w.seq` is gone from COMMANDS: nothing left to withdraw for that node. */
  async markWithdrawn(w: PendingWithdrawal): Promise<void> {
    await this.ds.query(
      `UPDATE rollout_nodes SET withdraw_seq = NULL WHERE rollout_id = $1 AND node_id = $2 AND withdraw_seq = $3`,
      [w.rolloutId, w.nodeId, w.seq],
    );
  }
}
