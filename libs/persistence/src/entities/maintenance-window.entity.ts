import { Column, Entity, Unique } from 'typeorm';
import { NamedSpecColumns } from './named-spec.columns';

/** A recurring maintenance window (issue 13; spec: MaintenanceWindowSpecV1), per component and/or node group. */
@Entity({ name: 'maintenance_windows' })
@Unique('uq_maintenance_windows_name', ['name'])
export class MaintenanceWindowEntity extends NamedSpecColumns {
  /** The node group: labels a node must have; empty: every node. */
  @Column({ name: 'node_labels', type: 'jsonb', default: () => "'{}'" })
  nodeLabels: Record<string, string>;
}
