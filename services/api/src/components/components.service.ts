import { Inject, Injectable, Logger } from '@nestjs/common';
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
import type { NodeEntry } from '@lockstep/messaging';
import { NodesRepository } from '../nodes/nodes.repository';
import { summarizeFleet } from './component-fleet';
import { toComponentView } from './component-view';
import { ComponentsRepository, type ComponentRow } from './components.repository';

/**
 * Components: read from Postgres, registered and checked by the checker over NATS, each with
 * what its nodes run (from the node directory in NATS).
 */
@Injectable()
export class ComponentsService {
  private readonly logger = new Logger(ComponentsService.name);

  constructor(
    private readonly repo: ComponentsRepository,
    private readonly nodes: NodesRepository,
    private readonly queries: QueryGateway,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async list(): Promise<ComponentView[]> {
    const [rows, fleet] = await Promise.all([this.repo.list(), this.fleet()]);
    return rows.map((r) => this.view(r, fleet));
  }

  /** One component (404 when it is not registered). */
  async get(name: string): Promise<ComponentView> {
    const [row, fleet] = await Promise.all([this.repo.find(name), this.fleet()]);
    if (!row) throw ApiError.notFound(`component ${name} is not registered; list them with GET /v1/components`);
    return this.view(row, fleet);
  }

  /** Registers or updates a component through the checker, which validates the source settings. */
  async upsert(name: string, body: PutComponentBody, actor: AuditActor): Promise<ComponentView> {
    await this.queries.ask<ComponentUpsertReplyV1>(Queries.ComponentUpsert, { ...body, name, actor });
    const row = await this.repo.find(name);
    if (!row)
      throw ApiError.notFound(
        `component ${name} was saved by the checker but is not in the API's database; check that both use the same DATABASE_URL`,
      );
    return this.view(row, await this.fleet());
  }

  /** Checks one component (or all) now and returns what each check announced or why it failed. */
  async check(component: string | undefined, actor: AuditActor): Promise<CheckNowReplyV1> {
    return this.queries.ask<CheckNowReplyV1>(
      Queries.CheckNow,
      component ? { component, actor } : { actor },
      this.config.API_CHECK_TIMEOUT,
    );
  }

  private view(row: ComponentRow, fleet: readonly NodeEntry[] | null): ComponentView {
    return toComponentView(row.component, row.state, fleet && summarizeFleet(row.component, fleet));
  }

  /** The node directory; null (and a warning) when NATS cannot be read: the components still show. */
  private async fleet(): Promise<NodeEntry[] | null> {
    try {
      return await this.nodes.list();
    } catch (err) {
      this.logger.warn(`components shown without what their nodes run: ${(err as Error).message}`);
      return null;
    }
  }
}
