import { Injectable } from '@nestjs/common';
import { appendAudit, SecretKeyring, SubscriptionEntity, type AuditRecordInput } from '@lockstep/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { openTarget, sealTarget, type PlainTarget } from './subscription-target.sealing';

/** The audit record of a subscription change; the subscription's id is its target. */
export type SubscriptionAudit = Omit<AuditRecordInput, 'target'>;

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
   * key (throws SealingError without one), and its audit record (target: its id), in one
   * transaction. Returns the stored row (public target).
   */
  save(entity: SubscriptionEntity, target: PlainTarget, audit: SubscriptionAudit): Promise<SubscriptionEntity> {
    const row = Object.assign(
      new SubscriptionEntity(),
      entity,
      sealTarget(this.keyring, entity.id, entity.channel, target),
    );
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository(SubscriptionEntity).save(row);
      await appendAudit(m, { ...audit, target: saved.id });
      return saved;
    });
  }

  /** Deletes a subscription and records it in one transaction; false (nothing recorded) when it did not exist. */
  async delete(id: string, audit: SubscriptionAudit): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const r = await m.getRepository(SubscriptionEntity).delete({ id });
      if (!r.affected) return false;
      await appendAudit(m, { ...audit, target: id });
      return true;
    });
  }

  async disable(id: string, reason: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(SubscriptionEntity).update({ id }, { enabled: false, disabledReason: reason });
  }
}
