import type { RolloutState } from '@lockstep/contracts';
import type { AuditRecordInput } from '@lockstep/persistence';

/** What RolloutRepository takes and answers besides entities. */

/** Another rollout is planned, running or paused: the database refused a second one. */
export class ActiveRolloutError extends Error {
  override name = 'ActiveRolloutError';
  constructor(options?: ErrorOptions) {
    super('another rollout is active; only one runs per cluster', options);
  }
}

/** True when `err` is Postgres refusing a row that would break the unique index or constraint `name`. */
export const isUniqueViolation = (err: unknown, name: string): boolean => {
  const driver = (err as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driver?.code === '23505' && driver.constraint === name;
};

/** The audit record of a rollout change; the rollout's id is its target. */
export type RolloutAudit = Omit<AuditRecordInput, 'target'>;

/** What came of the conductor's move (see RolloutRepository.transition). */
export type TransitionResult =
  /** Moved; announced with `from` as the previous state. */
  | { outcome: 'moved'; from: RolloutState }
  /** The rollout was in `to` already: nothing written, nothing announced. */
  | { outcome: 'unchanged' }
  /** The state machine does not allow the move from `state` (e.g. an operator aborted it): nothing written. */
  | { outcome: 'refused'; state: RolloutState }
  /** A newer lock holder claimed the rollout (or it does not exist): nothing written. */
  | { outcome: 'stale' };

/** Where a batch stands (see RolloutRepository.batchProgress). */
export interface BatchProgress {
  /** The rollout's state; undefined when it does not exist. */
  state: RolloutState | undefined;
  /** Nodes of the whole rollout that failed so far. */
  failed: number;
  /** Nodes of the batch without an outcome yet; `overdue`: past the progress deadline on the database's clock. */
  open: Array<{ nodeId: string; overdue: boolean }>;
}
