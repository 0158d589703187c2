import { Injectable } from '@nestjs/common';
import { SubscriptionEntity } from '@lockstep/persistence';
import { DataSource } from 'typeorm';

/** Reads subscriptions (the notifier writes them). */
@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly ds: DataSource) {}

  list(): Promise<SubscriptionEntity[]> {
    return this.ds.getRepository(SubscriptionEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  find(id: string): Promise<SubscriptionEntity | null> {
    return this.ds.getRepository(SubscriptionEntity).findOneBy({ id });
  }
}
