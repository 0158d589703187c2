import { Injectable } from '@nestjs/common';
import { SubscriptionEntity } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** Storage of subscriptions. */
@Injectable()
export class SubscriptionRepository {
  constructor(private readonly ds: DataSource) {}

  findById(id: string): Promise<SubscriptionEntity | null> {
    return this.ds.getRepository(SubscriptionEntity).findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<SubscriptionEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.ds
      .getRepository(SubscriptionEntity)
      .createQueryBuilder('s')
      .where('s.id IN (:...ids)', { ids })
      .getMany();
  }

  /** Enabled subscriptions, the routing candidates for every event. */
  findEnabled(manager: EntityManager = this.ds.manager): Promise<SubscriptionEntity[]> {
    return manager.getRepository(SubscriptionEntity).findBy({ enabled: true });
  }

  save(entity: SubscriptionEntity): Promise<SubscriptionEntity> {
    return this.ds.getRepository(SubscriptionEntity).save(entity);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.ds.getRepository(SubscriptionEntity).delete({ id });
    return (r.affected ?? 0) > 0;
  }

  async disable(id: string, reason: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(SubscriptionEntity).update({ id }, { enabled: false, disabledReason: reason });
  }
}
