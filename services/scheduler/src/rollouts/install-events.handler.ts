import { Injectable } from '@nestjs/common';
import { Subjects, type CloudEvent, type InstallFinishedV1, type InstallProgressV1 } from '@lockstep/contracts';
import { OnEvent } from '@lockstep/messaging';
import { RolloutConductor } from './rollout-conductor.service';
import { RolloutRepository } from './rollout.repository';

/** Events the scheduler consumes. */
export const SCHEDULER_SUBJECTS = [Subjects.InstallFinished, Subjects.InstallProgress];

/** Agents' progress and outcomes, recorded against the rollout node they belong to. */
@Injectable()
export class InstallEventsHandler {
  constructor(
    private readonly repo: RolloutRepository,
    private readonly conductor: RolloutConductor,
  ) {}

  @OnEvent(Subjects.InstallFinished)
  async onFinished(event: CloudEvent): Promise<void> {
    if (await this.repo.applyFinished(event.data as InstallFinishedV1)) this.conductor.wake();
  }

  @OnEvent(Subjects.InstallProgress)
  async onProgress(event: CloudEvent): Promise<void> {
    await this.repo.applyProgress(event.data as InstallProgressV1);
  }
}
