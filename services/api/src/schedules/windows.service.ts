import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { formatInZone, type AuditActor, type CreateWindowBody, type WindowView } from '@lockstep/contracts';
import { windowAt, type WindowState } from '@lockstep/scheduling';
import { API_CLOCK, type ApiClock } from '../clock/api-clock';
import { NamedObjects } from './named-objects';
import { SchedulesRepository, type WindowRecord } from './schedules.repository';

/** Audit actions of maintenance window changes. */
export const WindowAuditAction = {
  Create: 'window.create',
  Enable: 'window.enable',
  Disable: 'window.disable',
  Delete: 'window.delete',
} as const;

const CLOSED: WindowState = { open: false, opensAt: null, closesAt: null };

/** Maintenance windows: stored by the API, named by policies; each view says whether it is open now and when it opens next. */
@Injectable()
export class WindowsService {
  private readonly objects: NamedObjects<'window'>;

  constructor(
    repo: SchedulesRepository,
    @Inject(API_CLOCK) private readonly clock: ApiClock,
  ) {
    this.objects = new NamedObjects(repo, clock, 'window', WindowAuditAction);
  }

  async list(): Promise<WindowView[]> {
    return (await this.objects.list()).map((w) => this.toView(w));
  }

  async show(name: string): Promise<WindowView> {
    return this.toView(await this.objects.get(name));
  }

  /** Stores a window (the body is already valid); 409 when the name is taken. */
  async create(body: CreateWindowBody, by: AuditActor): Promise<WindowView> {
    const { name, start, duration, timezone, components, nodeLabels, enabled } = body;
    return this.toView(
      await this.objects.create(
        {
          id: randomUUID(),
          name,
          spec: { start, duration, timezone },
          components: [...new Set(components ?? [])].sort(),
          nodeLabels: nodeLabels ?? {},
          enabled: enabled ?? true,
          createdBy: by.name,
        },
        by,
      ),
    );
  }

  async setEnabled(name: string, enabled: boolean, by: AuditActor): Promise<WindowView> {
    return this.toView(await this.objects.setEnabled(name, enabled, by));
  }

  async remove(name: string, by: AuditActor): Promise<WindowView> {
    return this.toView(await this.objects.remove(name, by));
  }

  /** A window with its state now; a disabled one is closed and never opens. */
  private toView(w: WindowRecord): WindowView {
    const state = w.enabled ? windowAt(w.spec, this.clock.now()) : CLOSED;
    const local = (d: Date | null) => (d ? formatInZone(d, w.spec.timezone) : null);
    return {
      id: w.id,
      name: w.name,
      spec: w.spec,
      components: w.components,
      nodeLabels: w.nodeLabels,
      enabled: w.enabled,
      open: state.open,
      opensAt: state.opensAt?.toISOString() ?? null,
      closesAt: state.closesAt?.toISOString() ?? null,
      opensAtLocal: local(state.opensAt),
      closesAtLocal: local(state.closesAt),
    };
  }
}
