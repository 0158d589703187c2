import { Injectable } from '@nestjs/common';
import { Subjects, type CloudEvent, type InstallFinishedV1, type InstallProgressV1 } from '@lockstep/contracts';
import { EventConsumers, OnEvent } from '@lockstep/messaging';
import { InstallOutcomesService } from './install-outcomes.service';

/** How long progress events gather before they are written (the step shown is at most this much behind). */
const PROGRESS_LINGER_MS = 100;

/** Events the scheduler consumes (its row of EventConsumers, which grants its NATS rights). */
export const SCHEDULER_SUBJECTS = [...EventConsumers.scheduler];

/**
 * Agents' progress and outcomes, handed on in batches (one UPDATE for all events that arrived
 * meanwhile). A batch of 20 agents sends ten progress events each: one statement, and one WAL
 * flush, per event kept Postgres, the disk the agents journal on and this process busy while the
 * conductor waited for the batch. Progress lingers up to PROGRESS_LINGER_MS to gather a few
 * calls' worth; outcomes are applied at once, since the last one of a batch is what the
 * conductor waits for. Payloads arrive validated against their subjects' schemas.
 */
@Injectable()
export class InstallEventsHandler {
  constructor(private readonly outcomes: InstallOutcomesService) {}

  @OnEvent(Subjects.InstallFinished, { batch: true })
  onFinished(events: CloudEvent[]): Promise<void> {
    return this.outcomes.recordFinished(events.map((e) => e.data as InstallFinishedV1));
  }

  @OnEvent(Subjects.InstallProgress, { batch: true, lingerMs: PROGRESS_LINGER_MS })
  onProgress(events: CloudEvent[]): Promise<void> {
    return this.outcomes.recordProgress(events.map((e) => e.data as InstallProgressV1));
  }
}
