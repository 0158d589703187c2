import { Injectable } from '@nestjs/common';
import { parseDuration } from '@lockstep/contracts';
import { DataSource } from 'typeorm';
import { rowsOf } from '../rollouts/sql-rows';
import type { MissedRuns } from './schedule-runs';

/** The settings automatic updates go by, read at every evaluation (a change needs no restart). */
export interface AutomationSettingsValues {
  automatic: boolean;
  evaluationIntervalMs: number;
  approvalRequests: boolean;
  missedRuns: MissedRuns;
  catchUpLimitMs: number;
}

export const AUTOMATION_DEFAULTS: AutomationSettingsValues = {
  automatic: true,
  evaluationIntervalMs: 30_000,
  approvalRequests: true,
  missedRuns: 'run-once',
  catchUpLimitMs: 24 * 3600_000,
};

/** Reads the `update.*` and `schedule.*` settings. */
@Injectable()
export class AutomationSettings {
  constructor(private readonly ds: DataSource) {}

  async read(): Promise<AutomationSettingsValues> {
    const rows = rowsOf<{ key: string; value: unknown }>(
      await this.ds.query(`SELECT key, value FROM settings WHERE key LIKE 'update.%' OR key LIKE 'schedule.%'`),
    );
    const v = new Map(rows.map((r) => [r.key, r.value]));
    const d = AUTOMATION_DEFAULTS;
    const ms = (key: string, fallback: number) => {
      const raw = v.get(key);
      return typeof raw === 'string' ? (parseDuration(raw) ?? fallback) : fallback;
    };
    return {
      automatic: typeof v.get('update.automatic') === 'boolean' ? (v.get('update.automatic') as boolean) : d.automatic,
      evaluationIntervalMs: ms('update.evaluation_interval', d.evaluationIntervalMs),
      approvalRequests:
        typeof v.get('update.approval_requests') === 'boolean'
          ? (v.get('update.approval_requests') as boolean)
          : d.approvalRequests,
      missedRuns: v.get('schedule.missed_runs') === 'skip' ? 'skip' : d.missedRuns,
      catchUpLimitMs: ms('schedule.catch_up_limit', d.catchUpLimitMs),
    };
  }
}
