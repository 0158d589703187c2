import type { BackupOperationView } from '@lockstep/contracts';
import type { BackupOperationEntity } from '@lockstep/persistence';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** An operation row as the API shows it (the command it sent stays internal). */
export function toOperationView(o: BackupOperationEntity): BackupOperationView {
  return {
    id: o.id,
    kind: o.kind as BackupOperationView['kind'],
    backupId: o.backupId,
    state: o.state as BackupOperationView['state'],
    step: o.step,
    percent: o.percent,
    message: o.message,
    error: o.error,
    result: o.result,
    requestedAt: iso(o.requestedAt)!,
    startedAt: iso(o.startedAt),
    finishedAt: iso(o.finishedAt),
  };
}
