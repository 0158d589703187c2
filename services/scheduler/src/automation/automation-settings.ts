import { Inject, Injectable } from '@nestjs/common';
import { SettingsReader, type SettingsSource } from '@lockstep/persistence';
import type { MissedRuns } from './schedule-runs';

/** The settings automatic updates go by, read at every evaluation (a change needs no restart). */
export interface AutomationSettingsValues {
  automatic: boolean;
  evaluationIntervalMs: number;
  approvalRequests: boolean;
  missedRuns: MissedRuns;
  catchUpLimitMs: number;
}

/** Reads the `update.*` and `schedule.*` runtime settings (`lockstep settings`) through the shared reader. */
@Injectable()
export class AutomationSettings {
  constructor(@Inject(SettingsReader) private readonly settings: SettingsSource) {}

  async read(): Promise<AutomationSettingsValues> {
    const [automatic, evaluationIntervalMs, approvalRequests, missedRuns, catchUpLimitMs] = await Promise.all([
      this.settings.get('update.automatic'),
      this.settings.get('update.evaluation_interval'),
      this.settings.get('update.approval_requests'),
      this.settings.get('schedule.missed_runs'),
      this.settings.get('schedule.catch_up_limit'),
    ]);
    return { automatic, evaluationIntervalMs, approvalRequests, missedRuns, catchUpLimitMs };
  }
}
