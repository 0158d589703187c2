import { Inject, Injectable } from '@nestjs/common';
import {
  Queries,
  type AuditActor,
  type CheckNowReplyV1,
  type ComponentUpsertReplyV1,
  type ComponentView,
  type PutComponentBody,
} from '@lockstep/contracts';
import { API_CONFIG, type ApiConfig } from '../api.config';
import { ApiError } from '../http/api-error';
import { QueryGateway } from '../http/query-gateway';
import { toComponentView } from './component-view';
import { ComponentsRepository } from './components.repository';

/** Components: read from Postgres, registered and checked by the checker over NATS. */
@Injectable()
export class ComponentsService {
  constructor(
    private readonly repo: ComponentsRepository,
    private readonly queries: QueryGateway,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async list(): Promise<ComponentView[]> {
    return (await this.repo.list()).map((r) => toComponentView(r.component, r.state));
  }

  /** Registers or updates a component through the checker, which validates the source settings. */
  async upsert(name: string, body: PutComponentBody, actor: AuditActor): Promise<ComponentView> {
    await this.queries.ask<ComponentUpsertReplyV1>(Queries.ComponentUpsert, { ...body, name, actor });
    const row = await this.repo.find(name);
    if (!row)
      throw ApiError.notFound(
        `component ${name} was saved by the checker but is not in the API's database; check that both use the same DATABASE_URL`,
      );
    return toComponentView(row.component, row.state);
  }

  /** Checks one component (or all) now and returns what each check announced or why it failed. */
  async check(component: string | undefined, actor: AuditActor): Promise<CheckNowReplyV1> {
    return this.queries.ask<CheckNowReplyV1>(
      Queries.CheckNow,
      component ? { component, actor } : { actor },
      this.config.API_CHECK_TIMEOUT,
    );
  }
}
