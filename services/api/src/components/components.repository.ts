import { Injectable } from '@nestjs/common';
import { ComponentEntity, SourceStateEntity } from '@lockstep/persistence';
import { DataSource, In } from 'typeorm';

/** A component with what its source remembers about the last check. */
export interface ComponentRow {
  component: ComponentEntity;
  state: SourceStateEntity | null;
}

/** Reads components and their source states (the checker writes them). */
@Injectable()
export class ComponentsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Every component by name, with its source state. */
  async list(): Promise<ComponentRow[]> {
    const components = await this.ds.getRepository(ComponentEntity).find({ order: { name: 'ASC' } });
    return this.withStates(components);
  }

  /** One component, or null. */
  async find(name: string): Promise<ComponentRow | null> {
    const c = await this.ds.getRepository(ComponentEntity).findOneBy({ name });
    return c ? (await this.withStates([c]))[0] : null;
  }

  private async withStates(components: ComponentEntity[]): Promise<ComponentRow[]> {
    if (components.length === 0) return [];
    const states = await this.ds
      .getRepository(SourceStateEntity)
      .findBy({ component: In(components.map((c) => c.name)) });
    const byName = new Map(states.map((s) => [s.component, s]));
    return components.map((component) => ({ component, state: byName.get(component.name) ?? null }));
  }
}
