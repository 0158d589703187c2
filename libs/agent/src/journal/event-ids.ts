import { backupChangedEventId, type BackupRecordV1 } from '@lockstep/contracts';
import { createHash } from 'node:crypto';

/*
 * Ids of the events an agent publishes under an id of its own choosing (CloudEvent id and
 * Nats-Msg-Id). JetStream drops a message whose id it saw in the stream's duplicate window,
 * whatever its subject, and every agent may publish to the EVENTS stream: an id another node
 * could guess, it could publish first, and the real event would be dropped. So each carries a
 * secret of the command it belongs to (the journal entry's nonce), and the node's id; the same
 * entry gives the same id again, so a replay is still dropped as a duplicate.
 */

/**
 * Id of the `install.finished` event with which node `nodeId` answers the message with stream
 * sequence `seq`. Without a nonce (an entry journaled by an older agent, answered under the
 * old id already) it is the old id, so a replay stays a duplicate.
 */
export const finishedEventId = (nodeId: string, commandId: string, seq: number, nonce: string | undefined): string =>
  nonce === undefined ? `${commandId}:finished:${seq}` : `${nodeId}:${commandId}:finished:${seq}:${nonce}`;

/**
 * Id of a `backup.changed` event the agent of `nodeId` publishes: the contract's id of the
 * change (one change, one id) with a digest of the nonce of the command the backup belongs to.
 * The backup's id alone is no secret: it stands in the lease the backup holds in the lock
 * bucket, which every agent may read. The digest keeps the nonce itself out of the id, so this
 * id, published early, does not give away the command's finished-event id.
 */
export function agentBackupChangedEventId(
  nodeId: string,
  backup: Pick<BackupRecordV1, 'id' | 'status' | 'verifiedAt'>,
  nonce: string,
): string {
  const change = backupChangedEventId(backup);
  const digest = createHash('sha256').update(`backup.changed\n${nonce}\n${change}`).digest('base64url').slice(0, 22);
  return `${change}:${nodeId}:${digest}`;
}
