import type { ObjectLiteral } from 'typeorm';
import { ACTIVE_ROLLOUT_STATES, rolloutFromStates } from './rollout-state-machine';

/**
 * The one definition of a rollout "under way" (it still needs a conductor, its nodes, and the
 * component's version): planned, running or paused, or failed with auto-rollback, whose
 * conductor still returns the updated nodes until it moves the rollout to rolled_back (even when
 * nothing is left to revert: a dead conductor's last revert outcome may have come in meanwhile).
 * Returned as a TypeORM where-clause with its named parameters, for `alias`'s rollouts table.
 * Used by the conductor's pick (RolloutRepository.active), `lockstep nodes rm`'s refusal
 * (NodesRepository.activeRolloutWith) and the version following (ComponentVersionsRepository).
 */
export function rolloutUnderWay(alias: string): [where: string, params: ObjectLiteral] {
  return [
    `(${alias}.state = ANY(:underWayStates) OR (${alias}.state = ANY(:revertingStates) AND (${alias}.strategy->>'autoRollback')::boolean))`,
    { underWayStates: ACTIVE_ROLLOUT_STATES, revertingStates: rolloutFromStates('rolled_back', 'conductor') },
  ];
}
