import type { ObjectLiteral } from 'typeorm';
import {
  ACTIVE_ROLLOUT_STATES,
  INITIAL_NODE_STATUS,
  NODE_STATUSES_TO_REVERT_LATE,
  rolloutFromStates,
} from './rollout-state-machine';

/**
 * The one definition of a rollout "under way" (it still needs a conductor, its nodes, and the
 * component's version): planned, running or paused, or failed with auto-rollback, whose
 * conductor still returns the updated nodes until it moves the rollout to rolled_back (even when
 * nothing is left to revert: a dead conductor's last revert outcome may have come in meanwhile),
 * or rolled back with auto-rollback while a late outcome showed a node still on the abandoned
 * release (its conductor sends that node a revert again).
 * Returned as a TypeORM where-clause with its named parameters, for `alias`'s rollouts table.
 * Used by the conductor's pick (RolloutRepository.active), `lockstep nodes rm`'s refusal
 * (NodesRepository.activeRolloutWith) and the version following (ComponentVersionsRepository).
 */
export function rolloutUnderWay(alias: string): [where: string, params: ObjectLiteral] {
  return [
    `(${alias}.state = ANY(:underWayStates) OR ((${alias}.strategy->>'autoRollback')::boolean AND (${alias}.state = ANY(:revertingStates)
      OR (${alias}.state = :rolledBackState AND EXISTS (SELECT 1 FROM rollout_nodes late_n WHERE late_n.rollout_id = ${alias}.id AND ${LATE_REVERT('late_n', alias, ':lateRevertStatuses')})))))`,
    {
      underWayStates: ACTIVE_ROLLOUT_STATES,
      revertingStates: rolloutFromStates('rolled_back', 'conductor'),
      rolledBackState: 'rolled_back',
      lateRevertStatuses: NODE_STATUSES_TO_REVERT_LATE,
    },
  ];
}

/**
 * SQL: node row `n` of rollout `r` needs a late revert: its status is one of `statuses`, it has a
 * version to go back to, and no rollout created after `r` has sent that node a command.
 */
export const LATE_REVERT = (n: string, r: string, statuses: string) =>
  `${n}.status = ANY(${statuses}) AND ${n}.from_version IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM rollout_nodes later JOIN rollouts lr ON lr.id = later.rollout_id
     WHERE later.node_id = ${n}.node_id AND lr.created_at > ${r}.created_at AND later.status <> '${INITIAL_NODE_STATUS}')`;
