import { ApiErrorCode, type AuditActor } from '@lockstep/contracts';
import type { ApiClock } from '../clock/api-clock';
import { ApiError } from '../http/api-error';
import type { NewRecord, SchedulesRepository } from './schedules.repository';

type Kind = 'schedule' | 'window';

/** The audit actions of one kind of object. */
interface Actions {
  Create: string;
  Enable: string;
  Disable: string;
  Delete: string;
}

/** How the CLI lists each kind, named in 404s. */
const LIST_COMMAND: Record<Kind, string> = { schedule: 'lockstep schedule list', window: 'lockstep windows list' };

/**
 * What schedules and windows share: found by name (404 that says how to list them), created
 * under a unique name (409), enabled, disabled and deleted, each change audited as the actor.
 */
export class NamedObjects<K extends Kind> {
  constructor(
    private readonly repo: SchedulesRepository,
    private readonly clock: ApiClock,
    private readonly kind: K,
    private readonly actions: Actions,
  ) {}

  list() {
    return this.repo.list(this.kind);
  }

  async get(name: string) {
    return (await this.repo.find(this.kind, name)) ?? this.missing(name);
  }

  async create(record: NewRecord<K>, actor: AuditActor) {
    const { id, name, ...params } = record;
    const stored = await this.repo.insert(this.kind, record, {
      actor,
      action: this.actions.Create,
      target: name,
      params: { id, ...params },
      at: this.clock.now(),
    });
    if (stored === 'taken')
      throw new ApiError(
        409,
        ApiErrorCode.NameTaken,
        `a ${this.kind} named ${name} already exists; choose another name, or remove it first (${LIST_COMMAND[this.kind].replace('list', 'rm')} ${name})`,
      );
    return stored;
  }

  async setEnabled(name: string, enabled: boolean, actor: AuditActor) {
    const changed = await this.repo.setEnabled(this.kind, name, enabled, {
      actor,
      action: enabled ? this.actions.Enable : this.actions.Disable,
      target: name,
      params: { enabled },
      at: this.clock.now(),
    });
    return changed ?? this.missing(name);
  }

  async remove(name: string, actor: AuditActor) {
    const removed = await this.repo.remove(this.kind, name, {
      actor,
      action: this.actions.Delete,
      target: name,
      at: this.clock.now(),
    });
    return removed ?? this.missing(name);
  }

  private missing(name: string): never {
    throw ApiError.notFound(`there is no ${this.kind} named ${name}; list them with \`${LIST_COMMAND[this.kind]}\``);
  }
}
