import { Injectable } from '@nestjs/common';
import type { InstallFinishedV1, InstallProgressV1 } from '@lockstep/contracts';
import { RolloutConductor } from './rollout-conductor.service';
import { InstallOutcomesRepository } from './install-outcomes.repository';

/**
 * Records agents' outcomes and progress against the rollout nodes they belong to, a batch of
 * events in one statement each, and wakes the conductor when an outcome changed a node (it
 * waits for the last outcome of its batch).
 */
@Injectable()
export class InstallOutcomesService {
  constructor(
    private readonly repo: InstallOutcomesRepository,
    private readonly conductor: RolloutConductor,
  ) {}

  async recordFinished(events: InstallFinishedV1[]): Promise<void> {
    const changed = await this.repo.applyFinished(events);
    if (changed.length) this.conductor.wake();
  }

  async recordProgress(events: InstallProgressV1[]): Promise<void> {
    await this.repo.applyProgress(events);
  }
}
