import { Injectable } from '@nestjs/common';
import { Subjects, type CloudEvent, type InstallFinishedV1, type InstallProgressV1 } from '@lockstep/contracts';
import { OnEvent } from '@lockstep/messaging';
import { RolloutConductor } from './rollout-conductor.service';
import { RolloutRepository } from './rollout.repository';

/** How long progress events gather before they are written (the step shown is at most this much behind). */
const PROGRESS_LINGER_MS = 100;

/** Events the scheduler consumes. */
export const SCHEDULER_SUBJECTS = [Subjects.InstallFinished, Subjects.InstallProgress];

/**
 * Agents' progress and outcomes, recorded against the rollout node they belong to, in batches
 * (one UPDATE for all events that arrived meanwhile). A batch of 20 agents sends ten progress
 * events each: one statement, and one WAL flush, per event kept Postgres, the disk the agents
 * journal on and this process busy while the conductor waited for the batch. Progress lingers
 * up to PROGRESS_LINGER_MS to gather a few calls' worth; outcomes are applied at once, since
 * the last one of a batch is what the conductor waits for.
 */
@Injectable()
export class InstallEventsHandler {
  constructor(
    private readonly repo: RolloutRepository,
    private readonly conductor: RolloutConductor,
  ) {}

  @OnEvent(Subjects.InstallFinished, { batch: true })
  async onFinished(events: CloudEvent[]): Promise<void> {
    const changed = await this.repo.applyFinished(events.map((e) => e.data as InstallFinishedV1));
    if (changed.length) this.conductor.wake();
  }

  @OnEvent(Subjects.InstallProgress, { batch: true, lingerMs: PROGRESS_LINGER_MS })
  async onProgress(events: CloudEvent[]): Promise<void> {
    await this.repo.applyProgress(events.map((e) => e.data as InstallProgressV1));
  }
}
