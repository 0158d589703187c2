import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  formatInZone,
  ScheduleSpecV1,
  type AuditActor,
  type CreateScheduleBody,
  type ScheduleView,
} from '@lockstep/contracts';
import { nextRuns } from '@lockstep/scheduling';
import { API_CLOCK, type ApiClock } from '../clock/api-clock';
import { NamedObjects } from './named-objects';
import { SchedulesRepository, type ScheduleRecord, type ScheduleRunRecord } from './schedules.repository';

/** Audit actions of schedule changes. */
export const ScheduleAuditAction = {
  Create: 'schedule.create',
  Enable: 'schedule.enable',
  Disable: 'schedule.disable',
  Delete: 'schedule.delete',
} as const;

/** How many next runs a schedule shows. */
export const NEXT_RUNS = 5;
/** How many recorded runs a schedule shows. */
export const LAST_RUNS = 10;

/** Update schedules: stored by the API, fired by the schedule engine; each view shows its next and last runs. */
@Injectable()
export class SchedulesService {
  private readonly objects: NamedObjects<'schedule'>;

  constructor(
    private readonly repo: SchedulesRepository,
    @Inject(API_CLOCK) private readonly clock: ApiClock,
  ) {
    this.objects = new NamedObjects(repo, clock, 'schedule', ScheduleAuditAction);
  }

  async list(): Promise<ScheduleView[]> {
    const schedules = await this.objects.list();
    const runs = await this.repo.lastRuns(
      schedules.map((s) => s.id),
      LAST_RUNS,
    );
    return schedules.map((s) => this.toView(s, runs.get(s.id) ?? []));
  }

  /** One schedule; 404 naming the way to list them. */
  async show(name: string): Promise<ScheduleView> {
    const schedule = await this.objects.get(name);
    const runs = await this.repo.lastRuns([schedule.id], LAST_RUNS);
    return this.toView(schedule, runs.get(schedule.id) ?? []);
  }

  /** Stores a schedule (the body is already valid); 409 when the name is taken. */
  async create(body: CreateScheduleBody, by: AuditActor): Promise<ScheduleView> {
    const { name, components, classes, enabled, ...fields } = body;
    const created = await this.objects.create(
      {
        id: randomUUID(),
        name,
        spec: ScheduleSpecV1.parse(fields),
        components: [...new Set(components ?? [])].sort(),
        classes: [...new Set(classes ?? [])].sort(),
        enabled: enabled ?? true,
        createdBy: by.name,
      },
      by,
    );
    return this.toView(created, []);
  }

  /** Turns a schedule on or off; 404 when there is none. */
  async setEnabled(name: string, enabled: boolean, by: AuditActor): Promise<ScheduleView> {
    return this.show((await this.objects.setEnabled(name, enabled, by)).name);
  }

  /** Deletes a schedule and its recorded runs; answers it as it was. */
  async remove(name: string, by: AuditActor): Promise<ScheduleView> {
    return this.toView(await this.objects.remove(name, by), []);
  }

  private toView(s: ScheduleRecord, runs: ScheduleRunRecord[]): ScheduleView {
    const next = s.enabled ? nextRuns(s.spec, this.clock.now(), NEXT_RUNS) : [];
    return {
      id: s.id,
      name: s.name,
      spec: s.spec,
      components: s.components,
      classes: s.classes,
      enabled: s.enabled,
      nextRuns: next.map((d) => d.toISOString()),
      nextRunsLocal: next.map((d) => formatInZone(d, s.spec.timezone)),
      lastRuns: runs.map((r) => ({
        dueAt: r.dueAt.toISOString(),
        firedAt: r.firedAt.toISOString(),
        outcome: r.outcome,
        rolloutIds: r.rolloutIds,
        detail: r.detail,
      })),
    };
  }
}
