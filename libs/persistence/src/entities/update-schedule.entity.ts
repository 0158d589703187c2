import { Column, Entity, Unique } from 'typeorm';
import { NamedSpecColumns } from './named-spec.columns';

/** An automatic-update schedule (issue 13): when updates run (spec: ScheduleSpecV1), for which components and classes. */
@Entity({ name: 'update_schedules' })
@Unique('uq_update_schedules_name', ['name'])
export class UpdateScheduleEntity extends NamedSpecColumns {
  /** Update classes it covers (UpdateClasses); empty: every class. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  classes: string[];

  /** When a scheduler replica first evaluated it (by its calendar); its runs start there. Reset when it is enabled again. */
  @Column({ name: 'first_seen_at', type: 'timestamptz', nullable: true })
  firstSeenAt: Date | null;
}
