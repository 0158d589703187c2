import { Injectable } from '@nestjs/common';
import { SecretKeyring, SubscriptionEntity } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { openTarget, sealTarget, type PlainTarget } from './subscription-target.sealing';

/**
 * Storage of subscriptions. Targets are sealed on the way in: rows hold the masked URL in
 * `target` and the whole target in `targetSealed`; {@link openTarget} gives it back.
 */
@Injectable()
export class SubscriptionRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly keyring: SecretKeyring,
  ) {}

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

  /** The whole channel target of a stored subscription; throws SealingError when it cannot be opened. */
  openTarget(sub: SubscriptionEntity): PlainTarget {
    return openTarget(this.keyring, sub);
  }

  /**
   * Stores a subscription whose `target` is the whole channel target, sealed under the current
   * key (throws SealingError without one). Returns the stored row (public target).
   */
  save(entity: SubscriptionEntity, target: PlainTarget): Promise<SubscriptionEntity> {
    const row = Object.assign(
      new SubscriptionEntity(),
      entity,
      sealTarget(this.keyring, entity.id, entity.channel, target),
    );
    return this.ds.getRepository(SubscriptionEntity).save(row);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.ds.getRepository(SubscriptionEntity).delete({ id });
    return (r.affected ?? 0) > 0;
  }

  async disable(id: string, reason: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(SubscriptionEntity).update({ id }, { enabled: false, disabledReason: reason });
  }
}
